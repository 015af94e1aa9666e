"""One training epoch, as a plain function.

``train_one_epoch`` runs the usual steps for each batch: move it to the device,
compute ``model.losses(images, targets)`` (under autocast when AMP is on; for a
segmenter's ``SegBatch`` that is ``model.losses(images [B, 3, H, W], masks [B, H, W])``), check
the loss is finite, back-propagate, clip gradients, step the optimizer and the
per-iteration learning-rate scheduler. It logs running means to the progress
bar and to a :class:`~detseg.engine.records.metric_log.MetricLogger`. How each step runs comes
as a :class:`StepSettings` (the ``train.*`` keys), where the call starts inside the run as an
:class:`EpochPosition`.

Gradient accumulation (``accumulate = A``): the batches of an epoch form groups of ``A``
consecutive batches counted from the epoch's start (the last group may be shorter); each
batch's loss is divided by its group's length and back-propagated, and one optimizer step
(one *iteration*) follows each group. A loader without a length does not tell which group is
its last: the batches left after its last full group are stepped once it ends, their summed
gradient rescaled to their mean (the shorter group's rule). Under ``DistributedDataParallel``
only the last batch of a group synchronises gradients (``no_sync``; by hand for the batches left
by a loader without a length). A non-finite loss either stops training
(``NonFiniteLossError``) or, with ``on_nonfinite="skip"``, drops its whole group: no update,
but the iteration (and the learning-rate schedule) moves on and the skip is counted (the epoch's
mean losses leave a skipped step out). A finite loss whose gradient norm is not finite is
treated alike wherever the norm is read before the update (``"skip"``, or ``grad_clip`` set on
the CPU; see :mod:`~detseg.engine.training.optimizer_step`): an optimizer step would write
NaN into the weights.
A batch whose images were all unreadable is left out of its group: the group's summed
gradient is rescaled to the mean over the batches that ran, and under DDP, where that batch
was the one to synchronise, averaged over the processes by hand.
The forward passes of a dropped group have already moved the model's buffers (BatchNorm running
statistics, perhaps to NaN), so under ``skip`` a :class:`BufferSnapshot` saves every buffer
before a group's first forward and puts it back when the group is dropped: weights and buffers
end exactly as they were before the group.

Waiting for data: the loop times every ``next()`` on the loader (host time; on a GPU the
device may still be busy with the previous step, which is the point of prefetching) and
reports ``data_wait``, the share of the wall time spent waiting, in ``[0, 1]``: per step
(:class:`StepInfo`), over the steps since the last record (``train`` records, the log line,
the progress bar) and over the epoch (:class:`EpochStats`). Near 0 the model is the bottleneck;
a large share calls for more ``train.num_workers`` or cheaper augmentations. On CUDA the
records also carry ``gpu_util`` (percent, from ``torch.cuda.utilization``) where ``pynvml`` is
installed.

This module holds the loop itself; its parts live beside it: the call's settings and position
(:mod:`~detseg.engine.training.loop_settings`), what it reports
(:mod:`~detseg.engine.training.loop_results`), one batch's forward and backward into its
accumulation group (:mod:`~detseg.engine.training.accumulation`), the optimizer step that
closes a group (:mod:`~detseg.engine.training.optimizer_step`), and the progress bar and
``train`` records (:mod:`~detseg.engine.training.step_reporting`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sized
from typing import Any, cast

import torch
from torch import nn

from detseg.engine.runtime.distributed import DistInfo, mean_across
from detseg.engine.runtime.model_api import DetsegModel
from detseg.engine.training.accumulation import (
    AccumulationGroup,
    StepSetup,
    group_of,
    micro_step,
)
from detseg.engine.training.data_wait import DataWaitClock
from detseg.engine.training.loop_results import EpochStats, StepInfo
from detseg.engine.training.loop_settings import EpochPosition, StepSettings
from detseg.engine.training.nonfinite_losses import BufferSnapshot, NonFiniteLossError
from detseg.engine.training.optimizer_step import finish_step
from detseg.engine.training.step_reporting import (
    RecordLog,
    epoch_bar,
    log_step,
    read_norm,
    show_step,
)


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    device: torch.device,
    *,
    position: EpochPosition | None = None,
    settings: StepSettings | None = None,
    scaler: torch.amp.GradScaler | None = None,
    ema: Any | None = None,
    train_model: nn.Module | None = None,
    dist: DistInfo | None = None,
    metric_log: RecordLog | None = None,
    after_step: Callable[[StepInfo], bool] | None = None,
) -> EpochStats:
    """Train ``model`` for one pass over ``loader`` (or ``position.max_iters`` steps, if fewer).

    Args:
        model: a detector with ``losses(images, targets) -> dict[str, Tensor]``, or a
            segmenter with ``losses(images, masks) -> dict[str, Tensor]``.
        loader: yields ``Batch(images, targets, skipped_images, dropped_boxes)``;
            images ``Float[3, H, W]`` in [0, 1], targets with ``boxes`` (xyxy px)
            and ``labels``; or ``SegBatch(images Float[B, 3, H, W], masks Int64[B, H, W],
            skipped_images, ...)``. A batch whose images were all unreadable is skipped.
            It may have no length (a generator, an ``IterableDataset``'s loader).
        optimizer: its ``step`` is called once per group of ``settings.accumulate`` batches.
        scheduler: per-iteration scheduler, stepped after each optimizer step.
        device: where the model lives.
        position: epoch, iterations and batches done before the call, step limit; default
            the start of epoch 0, the whole epoch.
        settings: accumulation, AMP, gradient clipping, non-finite losses, log interval;
            default :class:`StepSettings` ``()``.
        scaler: gradient scaler (fp16); ``None`` = plain backward.
        ema: a :class:`~detseg.engine.solver.ema.ModelEMA` updated after every optimizer step.
        train_model: module whose ``forward(images, targets)`` returns the loss dict (the
            DDP wrapper of a distributed run); default ``model.losses``.
        dist: the process group (agreement on non-finite losses, the logged steps' mean
            losses); default one process.
        metric_log: where to write ``{"type": "train", ...}`` records (a
            :class:`~detseg.engine.records.metric_log.MetricLogger`).
        after_step: called after every step; returning ``True`` ends the epoch early
            (``EpochStats.interrupted``).

    Returns:
        The epoch's :class:`EpochStats`.

    Raises:
        NonFiniteLossError: a loss term is NaN or infinite and ``on_nonfinite="stop"``
            (nothing is stepped; the bad forward may have moved the buffers); its ``done``
            holds the :class:`EpochStats` of the steps before.
    """
    position = position or EpochPosition()
    settings = settings or StepSettings()
    setup = _step_setup(model, optimizer, device, scaler, settings, train_model, dist)
    epoch, start_batch, max_iters = position.epoch, position.start_batch, position.max_iters
    start_iteration, accumulate = position.start_iteration, settings.accumulate
    model.train()
    stats, group = EpochStats(), AccumulationGroup()
    sums: dict[str, float] = {}
    finite_steps = 0
    clock = DataWaitClock()
    epoch_len = _length(loader)
    is_main = setup.dist.is_main
    nothing_to_do = max_iters is not None and max_iters <= 0  # the run's last step is done
    bar = () if nothing_to_do else epoch_bar(loader, epoch_len, position, accumulate, is_main)

    def close_group(closed: AccumulationGroup, iteration: int, consumed: int) -> bool:
        """The optimizer step of the group ``closed`` and its bookkeeping (none for a group
        whose images were all unreadable); ``True`` ends the epoch."""
        nonlocal finite_steps
        if closed.batches == 0 and closed.bad_terms is None:  # all images unreadable: no step
            return False
        info = finish_step(setup, closed, scheduler, ema, epoch, iteration, consumed)
        info.data_wait = clock.end_step()
        info.seconds = clock.last_step
        finite_steps += _count_step(stats, closed, info, sums)
        rate = stats.images * setup.dist.world_size / (time.perf_counter() - clock.start)
        show_step(bar, info, rate, clock)
        _log_if_due(setup, info, iteration, rate, clock, metric_log)
        if after_step is not None and after_step(info):
            stats.interrupted = True
            return True
        return max_iters is not None and stats.iterations >= max_iters

    try:
        for batch in clock.batches(bar):
            stats.batches += 1
            consumed = start_batch + stats.batches  # the epoch's batches consumed, this one too
            stats.skipped_images += int(batch.skipped_images)
            stats.dropped_boxes += int(getattr(batch, "dropped_boxes", 0))
            group_len, last_in_group = group_of(consumed, accumulate, epoch_len)
            iteration = start_iteration + stats.iterations
            stats.left_out_images += micro_step(
                setup, batch, group, group_len, last_in_group, iteration
            )
            if not last_in_group:
                continue
            ended = close_group(group, iteration, consumed)
            group = AccumulationGroup()
            if ended:
                break
        else:  # a loader without a length ends without telling which group is its last
            if group.batches or group.bad_terms is not None:  # gradient: the mean of its batches
                close_group(group, start_iteration + stats.iterations, start_batch + stats.batches)
    except NonFiniteLossError as err:  # the steps before the bad one count in the run's totals
        err.done = stats
        raise
    stats.seconds = time.perf_counter() - clock.start
    stats.data_wait = clock.epoch_share()
    stats.losses = {name: value / finite_steps for name, value in sums.items()}
    return stats


def _length(loader: Iterable[Any]) -> int | None:
    """Batches of ``loader``; ``None`` when it has no length (a generator, or a ``DataLoader``
    over an ``IterableDataset`` without ``__len__``, whose ``len()`` raises ``TypeError``)."""
    if not isinstance(loader, Sized):
        return None
    try:
        return len(loader)
    except TypeError:
        return None


def _step_setup(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    scaler: torch.amp.GradScaler | None,
    settings: StepSettings,
    train_model: nn.Module | None,
    dist: DistInfo | None,
) -> StepSetup:
    """What every step of the call works with (``train_model`` defaults to ``model.losses``,
    ``dist`` to one process; a :class:`BufferSnapshot` under ``on_nonfinite="skip"``)."""
    return StepSetup(
        model=model,
        train_model=train_model if train_model is not None else cast(DetsegModel, model).losses,
        optimizer=optimizer,
        device=device,
        scaler=scaler,
        settings=settings,
        dist=dist or DistInfo(),
        buffers=BufferSnapshot(model) if settings.on_nonfinite == "skip" else None,
    )


def _count_step(
    stats: EpochStats, group: AccumulationGroup, info: StepInfo, sums: dict[str, float]
) -> int:
    """Count the step (and its group's images) in ``stats``; add its loss terms to ``sums``
    unless it was dropped. Returns 1 for a step that counts in the epoch's mean losses, else 0."""
    stats.iterations += 1
    stats.images += group.images
    stats.skipped_steps += int(info.skipped)
    if not info.skipped:  # a dropped step's terms are the non-finite ones
        for name, value in info.terms.items():
            sums[name] = sums.get(name, 0.0) + value
        return 1
    return 0


def _log_if_due(
    setup: StepSetup,
    info: StepInfo,
    iteration: int,
    rate: float,
    clock: DataWaitClock,
    metric_log: RecordLog | None,
) -> None:
    """On a logged step (``settings.log_every``): the loss terms averaged over the processes,
    the gradient norm read, and the ``train`` record with its log line."""
    if (iteration + 1) % max(setup.settings.log_every, 1) == 0:  # the same steps on every process
        info.terms = mean_across(info.terms, setup.dist)  # the loss of every process's batches
        info.grad_norm = read_norm(info.grad_norm)  # the same on every process (all-reduced)
        if metric_log is not None:
            throughput = {"img_per_s": rate, "data_wait": clock.end_window()}
            log_step(metric_log, info, throughput, setup.device)
