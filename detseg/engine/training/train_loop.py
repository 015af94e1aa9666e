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
(one *iteration*) follows each group. Under ``DistributedDataParallel`` only the last batch of
a group synchronises gradients (``no_sync``). A non-finite loss either stops training
(``NonFiniteLossError``) or, with ``on_nonfinite="skip"``, drops its whole group: no update,
but the iteration (and the learning-rate schedule) moves on and the skip is counted (the epoch's
mean losses leave a skipped step out). A finite loss whose gradient norm is not finite is
treated alike wherever the norm is read before the update (``"skip"``, or ``grad_clip`` set on
the CPU; see :func:`_clip_or_measure`): an optimizer step would write NaN into the weights.
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
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
import warnings
from collections.abc import Callable, Iterable, Sized
from dataclasses import dataclass, field
from typing import Any, cast

import torch
from torch import nn

from detseg.choices.training_options import NonFiniteAction
from detseg.engine.records.metric_log import MetricLogger, progress
from detseg.engine.runtime.device import (
    AmpMode,
    autocast_context,
    batch_on_device,
    gpu_utilization,
)
from detseg.engine.runtime.distributed import (
    DistInfo,
    all_gather,
    any_true,
    mean_across,
    sum_across,
)
from detseg.engine.runtime.model_api import DetsegModel
from detseg.engine.training.data_wait import DataWaitClock
from detseg.engine.training.nonfinite_losses import BufferSnapshot, NonFiniteLossError
from detseg.ops.padding import host_reads_are_free

logger = logging.getLogger(__name__)


@dataclass
class EpochStats:
    """What one call of :func:`train_one_epoch` did.

    Attributes:
        iterations: optimizer steps taken (skipped non-finite steps included).
        batches: batches consumed from the loader.
        images: images trained on.
        skipped_images: unreadable images the loader left out.
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


@dataclass(frozen=True)
class StepSettings:
    """How every optimizer step runs (the ``train.*`` config keys of the same names).

    Attributes:
        accumulate: batches per optimizer step (gradient accumulation), at least 1.
        amp: ``"bf16"`` / ``"fp16"`` autocast on CUDA; ignored elsewhere (the resolved
            ``train.amp``, see :func:`~detseg.engine.runtime.device.resolve_amp`).
        grad_clip: clip the global gradient norm to this value; ``None`` = no clipping.
        on_nonfinite: ``"stop"`` raises :class:`NonFiniteLossError`; ``"skip"`` drops the step.
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
    """Where a call of :func:`train_one_epoch` starts inside the run, and how far it may go.

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


@dataclass
class _Group:
    """The accumulation group being built."""

    terms: dict[str, float] = field(default_factory=dict)
    batches: int = 0
    length: int = 1  # batches the group spans (the last group of an epoch may be shorter)
    synced: bool = False  # the backward of the group's last batch ran (DDP all-reduced)
    images: int = 0
    image_ids: list[int] = field(default_factory=list)
    bad_terms: dict[str, float] | None = None


@dataclass
class _StepSetup:
    """What every step of one :func:`train_one_epoch` call works with."""

    model: nn.Module
    train_model: Callable[..., dict[str, torch.Tensor]]
    optimizer: torch.optim.Optimizer
    device: torch.device
    scaler: torch.amp.GradScaler | None
    settings: StepSettings
    dist: DistInfo
    buffers: BufferSnapshot | None = None  # on_nonfinite="skip": restored for a dropped step


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
    metric_log: MetricLogger | None = None,
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
        metric_log: where to write ``{"type": "train", ...}`` records.
        after_step: called after every step; returning ``True`` ends the epoch early
            (``EpochStats.interrupted``).

    Returns:
        The epoch's :class:`EpochStats`.

    Raises:
        NonFiniteLossError: a loss term is NaN or infinite and ``on_nonfinite="stop"``
            (nothing is stepped; the bad forward may have moved the buffers).
    """
    position = position or EpochPosition()
    settings = settings or StepSettings()
    setup = _StepSetup(
        model=model,
        train_model=train_model if train_model is not None else cast(DetsegModel, model).losses,
        optimizer=optimizer,
        device=device,
        scaler=scaler,
        settings=settings,
        dist=dist or DistInfo(),
        buffers=BufferSnapshot(model) if settings.on_nonfinite == "skip" else None,
    )
    epoch, start_batch, max_iters = position.epoch, position.start_batch, position.max_iters
    start_iteration, accumulate = position.start_iteration, settings.accumulate
    model.train()
    stats, group = EpochStats(), _Group()
    sums: dict[str, float] = {}
    finite_steps = 0
    clock = DataWaitClock()
    epoch_len = len(loader) if isinstance(loader, Sized) else None
    is_main = setup.dist.is_main
    nothing_to_do = max_iters is not None and max_iters <= 0  # the run's last step is done
    bar = () if nothing_to_do else _epoch_bar(loader, epoch_len, position, accumulate, is_main)
    for batch in clock.batches(bar):
        stats.batches += 1
        consumed = start_batch + stats.batches  # batches of the epoch consumed, this one included
        stats.skipped_images += int(batch.skipped_images)
        stats.dropped_boxes += int(getattr(batch, "dropped_boxes", 0))
        group_len, last_in_group = _group_of(consumed, accumulate, epoch_len)
        iteration = start_iteration + stats.iterations
        _micro_step(setup, batch, group, group_len, last_in_group, iteration)
        if not last_in_group:
            continue
        if group.batches == 0 and group.bad_terms is None:  # all images unreadable: no step
            group = _Group()
            continue
        info = _finish_step(setup, group, scheduler, ema, epoch, iteration, consumed)
        info.data_wait = clock.end_step()
        info.seconds = clock.last_step
        stats.iterations += 1
        stats.images += group.images
        stats.skipped_steps += int(info.skipped)
        if not info.skipped:  # a dropped step's terms are the non-finite ones
            finite_steps += 1
            for name, value in info.terms.items():
                sums[name] = sums.get(name, 0.0) + value
        group = _Group()
        rate = stats.images * setup.dist.world_size / (time.perf_counter() - clock.start)
        _show_step(bar, info, rate, clock)
        if (iteration + 1) % max(settings.log_every, 1) == 0:  # the same steps on every process
            info.terms = mean_across(info.terms, setup.dist)  # the loss of every process's batches
            info.grad_norm = _read_norm(info.grad_norm)  # the same on every process (all-reduced)
            if metric_log is not None:
                throughput = {"img_per_s": rate, "data_wait": clock.end_window()}
                _log_step(metric_log, info, throughput, device)
        if after_step is not None and after_step(info):
            stats.interrupted = True
            break
        if max_iters is not None and stats.iterations >= max_iters:
            break
    stats.seconds = time.perf_counter() - clock.start
    stats.data_wait = clock.epoch_share()
    stats.losses = {name: value / finite_steps for name, value in sums.items()}
    return stats


def _epoch_bar(
    loader: Iterable[Any],
    epoch_len: int | None,
    position: EpochPosition,
    accumulate: int,
    is_main: bool,
) -> Iterable[Any]:
    """The epoch's progress bar (rank 0 only) over the batches this call will consume: those
    left in the epoch, at most ``max_iters`` groups of ``accumulate``."""
    total = None if epoch_len is None else epoch_len - position.start_batch
    if position.max_iters is not None and total is not None:
        total = min(total, position.max_iters * accumulate)
    return progress(loader, desc=f"epoch {position.epoch}", total=total, disable=not is_main)


def _show_step(bar: Iterable[Any], info: StepInfo, rate: float, clock: DataWaitClock) -> None:
    """The step's loss, the images per second and the epoch's share of data waiting, on the
    progress bar."""
    if hasattr(bar, "set_postfix"):
        bar.set_postfix(
            loss=f"{info.terms['loss']:.3f}",
            img_s=f"{rate:.1f}",
            data_wait=f"{clock.epoch_share():.0%}",
        )


def _group_of(position: int, accumulate: int, epoch_len: int | None) -> tuple[int, bool]:
    """``(length of the group of batch number position (1-based), is it the group's last)``.

    Groups are ``accumulate`` consecutive batches from the epoch's start; the last one of an
    epoch of ``epoch_len`` batches may be shorter.
    """
    group_start = (position - 1) // accumulate * accumulate
    group_len = accumulate if epoch_len is None else min(accumulate, epoch_len - group_start)
    return group_len, position - group_start == group_len


def _batch_ids(batch: Any) -> list[int]:
    """Image ids of a batch: every item asked for when the loader records them."""
    ids = getattr(batch, "source_ids", None)
    if ids is None:
        ids = getattr(batch, "image_ids", None) or []
    return [int(i) for i in ids]


def _micro_step(
    s: _StepSetup, batch: Any, group: _Group, group_len: int, sync: bool, iteration: int
) -> None:
    """Forward and backward of one batch of the group (gradients summed into ``.grad``)."""
    ids = _batch_ids(batch)
    group.image_ids.extend(ids)
    group.length = group_len
    if group.bad_terms is not None:  # the group is dropped already
        return
    # Every process must take the same path (DDP's backward is collective): a batch whose
    # images were all unreadable on one process is left out on all of them.
    if any_true(len(batch.images) == 0, s.dist):
        return
    images, targets = batch_on_device(batch, s.device)
    if s.buffers is not None and group.batches == 0:  # the group's first forward
        s.buffers.save()
    no_sync = getattr(s.train_model, "no_sync", None)
    context = no_sync() if (no_sync is not None and not sync) else contextlib.nullcontext()
    with context:
        with autocast_context(s.device, s.settings.amp):
            loss_dict = _forward(s.train_model, images, targets)
        loss = sum(loss_dict.values())
        assert isinstance(loss, torch.Tensor), "a model has at least one loss term"
        # one read of every term (one host synchronisation per step on a GPU, not one a term)
        values = torch.stack([v.detach().float() for v in (*loss_dict.values(), loss)]).tolist()
        terms = dict(zip([*loss_dict, "loss"], values, strict=True))
        bad = not all(math.isfinite(v) for v in terms.values())
        if any_true(bad, s.dist):
            _non_finite(s, group, terms if bad else None, ids, iteration)
            return
        if group.batches == 0:
            s.optimizer.zero_grad(set_to_none=True)
        scaled = loss / group_len
        if s.scaler is not None and s.scaler.is_enabled():
            scaled = s.scaler.scale(scaled)
        scaled.backward()
    group.batches += 1
    group.synced = sync
    group.images += len(batch.images)
    for name, value in terms.items():
        group.terms[name] = group.terms.get(name, 0.0) + value


def _non_finite(
    s: _StepSetup, group: _Group, terms: dict[str, float] | None, ids: list[int], iteration: int
) -> None:
    """Some process saw a non-finite loss: stop everywhere, or mark the group as dropped."""
    reports = [r for r in all_gather(None if terms is None else (terms, ids), s.dist) if r]
    if s.settings.on_nonfinite == "stop":
        bad_ids = [i for _, rank_ids in reports for i in rank_ids]
        raise NonFiniteLossError(iteration, reports[0][0], bad_ids)
    group.bad_terms = reports[0][0]
    if s.buffers is not None:  # undo what the group's forward passes did to the buffers
        s.buffers.restore()
    if not s.dist.is_main:  # every process knows; rank 0 tells
        return
    logger.warning(
        "non-finite loss at iteration %d (%s; image ids %s): step skipped",
        iteration,
        ", ".join(f"{k}={v:.6g}" for k, v in group.bad_terms.items()),
        [i for _, rank_ids in reports for i in rank_ids],
    )


#: The start of the error BatchNorm raises in training mode on one value per channel.
_ONE_VALUE_PER_CHANNEL = "Expected more than 1 value per channel when training"


def _forward(
    train_model: Callable[..., dict[str, torch.Tensor]], images: Any, targets: Any
) -> dict[str, torch.Tensor]:
    """``train_model(images, targets)``; BatchNorm's error on a single value per channel gets
    what to do (it names a tensor size, not the cause)."""
    try:
        return train_model(images, targets)
    except ValueError as err:
        if not str(err).startswith(_ONE_VALUE_PER_CHANNEL):
            raise
        raise ValueError(
            f"{err}: a BatchNorm layer in training mode saw one value per channel (a batch "
            "of one image whose feature map shrank to 1 x 1); use train.batch_size >= 2, "
            "larger images or a larger crop in data.augmentations"
        ) from None


def _finish_step(
    s: _StepSetup,
    group: _Group,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    ema: Any | None,
    epoch: int,
    iteration: int,
    epoch_batches: int,
) -> StepInfo:
    """Optimizer step (or the drop of a bad group), scheduler step, EMA update.

    The returned :class:`StepInfo` carries the learning rate this step used, read before
    ``scheduler.step()`` sets the next iteration's.
    """
    lr = float(s.optimizer.param_groups[0]["lr"])
    if group.bad_terms is not None:
        s.optimizer.zero_grad(set_to_none=True)
        _schedule_past(scheduler)
        return StepInfo(
            epoch, iteration, epoch_batches, group.bad_terms, group.image_ids, True, lr=lr
        )
    _complete_gradients(s, group)
    terms = {name: value / group.batches for name, value in group.terms.items()}
    norm: float | torch.Tensor | None
    if s.scaler is not None and s.scaler.is_enabled():
        s.scaler.unscale_(s.optimizer)
        norm = _clip(s.model, s.settings.grad_clip)  # a device tensor, not read here
        s.scaler.step(s.optimizer)  # (skips a step whose gradients are not finite)
        s.scaler.update()
    else:
        norm = _clip_or_measure(s.model, s.settings)  # measured on every process or none
        if isinstance(norm, float) and any_true(not math.isfinite(norm), s.dist):
            _drop_non_finite_gradient(s, group, {**terms, "grad_norm": norm}, iteration)
            _schedule_past(scheduler)
            bad: dict[str, float] = group.bad_terms or {}
            return StepInfo(
                epoch, iteration, epoch_batches, bad, group.image_ids, True, lr=lr, grad_norm=norm
            )
        s.optimizer.step()
    scheduler.step()
    if ema is not None:
        ema.update(s.model)
    return StepInfo(epoch, iteration, epoch_batches, terms, group.image_ids, lr=lr, grad_norm=norm)


def _read_norm(norm: float | torch.Tensor | None) -> float | None:
    """A step's gradient norm as a float (the host read of a device tensor: logged steps
    only)."""
    return float(norm) if isinstance(norm, torch.Tensor) else norm


def _schedule_past(scheduler: torch.optim.lr_scheduler.LRScheduler) -> None:
    """``scheduler.step()`` for a dropped step: the schedule moves on without an update (no
    rate is lost, ``LambdaLR`` computes it from the iteration), so torch's warning about a
    scheduler stepped before its optimizer (when the run's first steps are dropped) is
    silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
        scheduler.step()


def _clip_or_measure(model: nn.Module, settings: StepSettings) -> float | torch.Tensor | None:
    """The global L2 norm of the gradients, clipped to ``settings.grad_clip`` when set;
    measured without clipping under ``on_nonfinite="skip"``; ``None`` (not measured: no host
    read) otherwise.

    The norm is read on the host (a float, checked for a non-finite gradient before the
    update) under ``"skip"``, which must drop such a step, and where host reads are free (the
    CPU). With ``grad_clip`` under ``"stop"`` on a GPU it stays an unread device tensor, read on
    logged steps only: no host synchronisation per step (a NaN gradient then shows as a NaN
    loss at the next step, which stops the run)."""
    if settings.grad_clip is not None:
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        if settings.on_nonfinite != "skip" and not host_reads_are_free(norm.device):
            return norm
        return float(norm)
    if settings.on_nonfinite != "skip":
        return None
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return float(torch.nn.utils.get_total_norm(grads)) if grads else 0.0


def _drop_non_finite_gradient(
    s: _StepSetup, group: _Group, terms: dict[str, float], iteration: int
) -> None:
    """A finite loss with a non-finite gradient norm (``terms["grad_norm"]``): stop everywhere,
    or drop the group as a non-finite loss is dropped (no update, buffers put back)."""
    ids = [i for rank_ids in all_gather(group.image_ids, s.dist) for i in rank_ids]
    if s.settings.on_nonfinite == "stop":
        raise NonFiniteLossError(iteration, terms, ids, what="gradient")
    s.optimizer.zero_grad(set_to_none=True)
    group.bad_terms = terms
    if s.buffers is not None:
        s.buffers.restore()
    if s.dist.is_main:
        logger.warning(
            "non-finite gradient norm at iteration %d (%s; image ids %s): step skipped",
            iteration,
            ", ".join(f"{k}={v:.6g}" for k, v in terms.items()),
            ids,
        )


def _complete_gradients(s: _StepSetup, group: _Group) -> None:
    """The gradient of a group some of whose batches were left out (all their images
    unreadable, on some process).

    Each batch's loss was divided by the group's length, so the sum over the batches that ran
    is rescaled to their mean (the gradient of the batches trained on, as a full group's is).
    Under DDP the batch left out may be the group's last, the one whose backward all-reduces:
    the gradients are then averaged over the processes here (every process left out the same
    batches, so all of them take this path).
    """
    if group.batches == group.length:
        return
    params = [p for p in s.model.parameters() if p.requires_grad]
    if not group.synced and s.dist.enabled and hasattr(s.train_model, "no_sync"):
        # a gradient some process lacks counts as zeros there, as DDP's reduction does
        has_grad = torch.tensor([float(p.grad is not None) for p in params])
        present = sum_across(has_grad, s.dist) > 0
        for p, needed in zip(params, present.tolist(), strict=True):
            if needed and p.grad is None:
                p.grad = torch.zeros_like(p)
        grads = [p.grad for p in params if p.grad is not None]
        for grad in grads:
            torch.distributed.all_reduce(grad)
        torch._foreach_div_(grads, float(s.dist.world_size))
    grads = [p.grad for p in params if p.grad is not None]
    if grads:
        torch._foreach_mul_(grads, group.length / group.batches)


def _clip(model: nn.Module, grad_clip: float | None) -> torch.Tensor | None:
    """Clip the global gradient norm to ``grad_clip`` (when set); returns the norm before
    clipping as a 0-d tensor on the gradients' device (unread: no host synchronisation)."""
    if grad_clip is None:
        return None
    return torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=grad_clip)


def _log_step(
    metric_log: MetricLogger,
    info: StepInfo,
    throughput: dict[str, float],
    device: torch.device,
) -> None:
    """A ``train`` record of the step ``info`` (its loss terms, the learning rate it used and,
    where measured, its ``grad_norm`` before clipping) and its log line; ``throughput`` holds
    ``img_per_s`` (images per second over the epoch so far) and ``data_wait`` (share since the
    last record)."""
    epoch, iteration, terms = info.epoch, info.iteration, info.terms
    record: dict[str, Any] = {
        "type": "train",
        "epoch": epoch,
        "iteration": iteration,
        "lr": info.lr,
        "img_per_s": round(throughput["img_per_s"], 2),
        "data_wait": round(throughput["data_wait"], 4),
        **terms,
    }
    if isinstance(info.grad_norm, float):
        record["grad_norm"] = info.grad_norm
    utilization = gpu_utilization(device)
    gpu = ""
    if utilization is not None:
        record["gpu_util"] = utilization
        gpu = f"  GPU {utilization:.0f}%"
    metric_log.log(record)
    logger.info(
        "epoch %d iter %d  loss %.4f  lr %.3g  %.1f img/s  data wait %.0f%%%s",
        epoch,
        iteration,
        terms["loss"],
        record["lr"],
        throughput["img_per_s"],
        100 * throughput["data_wait"],
        gpu,
    )
