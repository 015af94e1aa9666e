"""What a call of :func:`~detseg.engine.training.train_loop.train_one_epoch` reports back.

:class:`StepInfo` describes one optimizer step (handed to ``after_step``: the trainer's
bookkeeping, the profiler); :class:`EpochStats` sums up the whole call (the ``epoch`` record,
the run's totals). They are plain records, kept apart from the loop so that their readers need
not import it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class EpochStats:
    """What one call of :func:`train_one_epoch` did.

    Attributes:
        iterations: optimizer steps taken (skipped non-finite steps included).
        batches: batches consumed from the loader.
        images: images trained on.
        skipped_images: unreadable images the loader left out.
        left_out_images: readable images of this process left out of a step that another
            process's batch of unreadable images only dropped (every process skips it: a
            distributed step is taken by all or none).
        dropped_boxes: invalid boxes the datasets dropped.
        skipped_steps: steps dropped for a non-finite loss (``on_nonfinite="skip"``).
        interrupted: ``after_step`` asked to stop before the end of the epoch.
        losses: mean of each loss term (and ``loss``, their sum) over the epoch's steps that
            were not skipped (empty when every step was skipped).
        seconds: wall time of the epoch.
        data_wait: share of ``seconds`` spent waiting for the loader's batches, in ``[0, 1]``.
    """

    iterations: int = 0
    batches: int = 0
    images: int = 0
    skipped_images: int = 0
    left_out_images: int = 0
    dropped_boxes: int = 0
    skipped_steps: int = 0
    interrupted: bool = False
    losses: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0
    data_wait: float = 0.0


@dataclass
class StepInfo:
    """One optimizer step, as handed to ``after_step``.

    Attributes:
        epoch: 0-based epoch.
        iteration: global 0-based iteration of this step.
        epoch_batches: batches of the epoch consumed so far (the resume position).
        terms: loss terms (mean over the group's batches) and ``loss``; on a logged step
            (``log_every``) of a distributed run, averaged over the processes.
        image_ids: image ids of the group's batches (this process).
        skipped: the step was dropped for a non-finite loss.
        data_wait: share of the step's wall time (from the end of the previous step) spent
            waiting for its batches, in ``[0, 1]``.
        seconds: that wall time (from the end of the previous step, or the call's start).
        lr: learning rate of the first parameter group *used by* this step (read before the
            scheduler moves on to the next iteration's rate).
        grad_norm: global L2 norm of the step's gradients before clipping, where the step
            measures it (``grad_clip`` set, or ``on_nonfinite="skip"``); ``None`` elsewhere.
            Under fp16's scaler it stays a 0-d tensor on the device (no host read) until a
            logged step reads it; on the logged steps it is a float.
    """

    epoch: int
    iteration: int
    epoch_batches: int
    terms: dict[str, float]
    image_ids: list[int]
    skipped: bool = False
    data_wait: float = 0.0
    seconds: float = 0.0
    lr: float = 0.0
    grad_norm: float | torch.Tensor | None = None
