"""What a call of :func:`~detseg.engine.training.train_loop.train_one_epoch` is told.

:class:`StepSettings` says how every optimizer step runs (the ``train.*`` keys of the same
names); :class:`EpochPosition` says where the call starts inside the run and how far it may
go. They are plain, frozen settings with no torch state, kept apart from the loop so that the
trainer, the profiler and the tests can build them without reading the loop.
"""

from __future__ import annotations

from dataclasses import dataclass

from detseg.choices.training_options import NonFiniteAction
from detseg.engine.runtime.device import AmpMode


@dataclass(frozen=True)
class StepSettings:
    """How every optimizer step runs (the ``train.*`` config keys of the same names).

    Attributes:
        accumulate: batches per optimizer step (gradient accumulation), at least 1.
        amp: ``"bf16"`` / ``"fp16"`` autocast on CUDA; ignored elsewhere (the resolved
            ``train.amp``, see :func:`~detseg.engine.runtime.device.resolve_amp`).
        grad_clip: clip the global gradient norm to this value; ``None`` = no clipping.
        on_nonfinite: ``"stop"`` raises
            :class:`~detseg.engine.training.nonfinite_losses.NonFiniteLossError`; ``"skip"``
            drops the step.
            A non-finite gradient norm of a finite loss is handled alike where the norm is
            read before the update: under ``"skip"``, or with ``grad_clip`` set on the CPU
            (not under fp16's scaler, which skips such a step itself).
        log_every: write a ``metric_log`` record after every global iteration ``i`` with
            ``(i + 1) % log_every == 0`` (counted over the run, not the call, so a resumed run
            writes the records an uninterrupted one does, at the iterations of TensorBoard's);
            its loss terms are the mean over the processes (one gather, on logged steps only),
            with ``grad_norm`` (the gradient norm before clipping) where the step measures it.

    Raises:
        ValueError: ``accumulate`` is below 1.
    """

    accumulate: int = 1
    amp: AmpMode = "none"
    grad_clip: float | None = None
    on_nonfinite: NonFiniteAction = "stop"
    log_every: int = 20

    def __post_init__(self) -> None:
        if self.accumulate < 1:
            raise ValueError(f"accumulate must be >= 1, got {self.accumulate}")


@dataclass(frozen=True)
class EpochPosition:
    """Where a call of :func:`~detseg.engine.training.train_loop.train_one_epoch` starts
    inside the run, and how far it may go.

    Attributes:
        epoch: 0-based epoch number (for the bar and the log).
        start_iteration: global iteration count before this call (log, errors).
        start_batch: batches of this epoch consumed before the call (the loader already
            skips them); accumulation groups and the epoch's length count from the epoch's
            start.
        max_iters: stop after this many steps in this call (0 or less: none, and no batch is
            read); ``None`` = the whole epoch.
    """

    epoch: int = 0
    start_iteration: int = 0
    start_batch: int = 0
    max_iters: int | None = None
