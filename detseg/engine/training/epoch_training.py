"""One (part of an) epoch of a training run, and the run's bookkeeping after every step.

:func:`train_epoch` calls :func:`~detseg.engine.training.train_loop.train_one_epoch` from the
run's position (epoch, batches already consumed, ``train.max_iters``) with the run's
:func:`step_settings`, turns a non-finite loss into an ``error`` record, and sums the epoch's
counts over the processes; an epoch that took no step because every image it read was
unreadable stops the run there (:mod:`~detseg.engine.training.unreadable_images`), before
its record, evaluation and checkpoints. :func:`end_of_step` is the loop's ``after_step``: it
moves the run's position on, writes TensorBoard's ``train`` scalars and the per-rank step
event, agrees over the processes on a stop request, writes the periodic ``last.pt`` and calls
the run's hooks.
This is the seam between the plain loop (which knows no run) and the run's state.

The writes that one process takes on its own inside a step (rank 0's ``train`` record, its
TensorBoard scalars, the profile; a process's ``ranks/`` event) run under
:func:`~detseg.engine.training.train_steps.writing_step_records`: where one fails (a full disk,
a folder made read-only or deleted), the step's stop agreement (one all-reduce, there anyway)
carries the failure too, and every process raises the same one-line ``WorkDirError``, instead of
the failed process stopping alone while the others wait for it at their next collective.
The run's ``after_step`` hook (user code) is called the same way: an exception it raises on one
process is kept until the next step's stop agreement, where every process raises one
:class:`AfterStepError` naming the hook's error and the process (on one process the hook's own
exception passes at once).
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from detseg.data.train_loader import EpochBatchSampler
from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.runtime.distributed import DistInfo, mean_across, sum_across
from detseg.engine.runtime.failing_together import (
    SharedFailure,
    agree_to_stop,
    deferring_failure,
)
from detseg.engine.training.finite_checks import save_last_checked
from detseg.engine.training.loop_results import EpochStats, StepInfo
from detseg.engine.training.loop_settings import EpochPosition, StepSettings
from detseg.engine.training.nonfinite_losses import NonFiniteLossError
from detseg.engine.training.step_reporting import RecordLog
from detseg.engine.training.train_loop import train_one_epoch
from detseg.engine.training.train_steps import writing_records, writing_step_records
from detseg.engine.training.training_run import TrainingRun
from detseg.engine.training.unreadable_images import check_epoch_trained

logger = logging.getLogger(__name__)


def step_settings(run: TrainingRun) -> StepSettings:
    """The ``train.*`` keys that shape every optimizer step (``amp`` resolved)."""
    t = run.cfg.train
    return StepSettings(
        accumulate=t.accumulate,
        amp=run.settings.amp,
        grad_clip=t.grad_clip,
        on_nonfinite=t.on_nonfinite,
        log_every=t.log_every,
    )


def train_epoch(run: TrainingRun) -> EpochStats | None:
    """One (part of an) epoch from the run's position; ``None`` after a non-finite loss.

    Raises:
        UnreadableImagesError: the epoch took no step, every batch left out for unreadable
            images (:func:`~detseg.engine.training.unreadable_images.check_epoch_trained`;
            every process alike).
    """
    t, state = run.cfg.train, run.state
    sampler = run.data.train_loader.batch_sampler
    assert isinstance(sampler, EpochBatchSampler), "build_train_loader batches by epoch"
    sampler.set_epoch(state.epoch)
    sampler.skip_next(state.epoch_batches)
    start_batch = state.epoch_batches
    position = EpochPosition(
        epoch=state.epoch,
        start_iteration=state.iteration,
        start_batch=start_batch,
        max_iters=None if t.max_iters is None else t.max_iters - state.iteration,
    )
    try:
        stats = train_one_epoch(
            run.model,
            run.data.train_loader,
            run.optimizer,
            run.scheduler,
            run.device,
            position=position,
            settings=step_settings(run),
            scaler=run.scaler,
            ema=run.ema,
            train_model=run.train_model,
            dist=run.dist,
            metric_log=step_record_log(run),
            after_step=lambda info: end_of_step(run, info),
        )
    except NonFiniteLossError as err:  # last.pt / best.pt keep the last good state
        if err.done is not None:  # the steps, skipped images and dropped boxes before it
            _add_to_totals(run, err.done)
        if state.saved_iteration is None:
            err = err.without_checkpoint()
        if run.dist.is_main:  # every process raised it, with the same message
            logger.error("%s", err)
        with writing_records(run):  # finish_run's collective follows
            run.records.log({"type": "error", "epoch": state.epoch, "message": str(err)})
        return None
    state.epoch_batches = start_batch + stats.batches
    _add_to_totals(run, stats)
    check_epoch_trained(run, stats, start_batch)  # the summed counts: every process alike
    return stats


def _add_to_totals(run: TrainingRun, stats: EpochStats) -> None:
    """Add what one call of the loop did (its steps; the skipped images and dropped boxes of
    every process, :func:`_count_over_processes`) to the run's totals (the summary's counts)."""
    _count_over_processes(stats, run.dist)
    for key in ("iterations", "skipped_images", "left_out_images", "dropped_boxes"):
        run.totals[key] += getattr(stats, key)


@dataclass
class _StepRecordLog:
    """The run's ``metrics.jsonl`` for the loop's ``train`` records, each written under
    :func:`writing_step_records`."""

    run: TrainingRun

    def log(self, record: dict[str, Any]) -> None:
        with writing_step_records(self.run, "metrics.jsonl"):
            self.run.records.log(record)


def step_record_log(run: TrainingRun) -> RecordLog | None:
    """Where the training loop writes its ``train`` records: the run's ``metrics.jsonl``
    (rank 0; ``None`` elsewhere), a failed write shared by every process at the step's stop
    agreement (:func:`end_of_step`)."""
    return None if run.records.metrics is None else _StepRecordLog(run)


def _count_over_processes(stats: EpochStats, dist: DistInfo) -> None:
    """Sum the epoch's unreadable and left-out images and dropped boxes over the processes,
    and average its
    mean losses: each process counted those of its own shard and averaged its own batches' loss
    terms, and the epoch record and the summary report the run's (collectives once an epoch).

    Every process takes the same steps (a skipped step is skipped everywhere), so the mean
    over the processes of their means is the mean over all the epoch's batches.
    """
    if dist.enabled:
        counts = [stats.skipped_images, stats.left_out_images, stats.dropped_boxes]
        summed = [int(n) for n in sum_across(torch.tensor(counts), dist).tolist()]
        stats.skipped_images, stats.left_out_images, stats.dropped_boxes = summed
        stats.losses = mean_across(stats.losses, dist)


class AfterStepError(SharedFailure):
    """The run's ``after_step`` hook raised on one process of a distributed run: every process
    raises this, with one line naming the hook's error (type and message) and the process; the
    hook's own exception is the cause on the process where it was raised (its traceback)."""


@contextlib.contextmanager
def _calling_hook(dist: DistInfo) -> Iterator[None]:
    """Around the run's ``after_step`` hook: on several processes, its exception becomes an
    :class:`AfterStepError` kept until the processes' next agreement (the next step's stop
    agreement, or the epoch's end), where every process raises it; the failed process takes
    part in the collectives until then instead of stopping alone while the others wait for it.
    On one process the hook's exception passes as it is."""
    if not dist.enabled:
        yield
        return
    with deferring_failure(dist):
        try:
            yield
        except Exception as err:
            message = " ".join(str(err).split()) or "(no message)"
            raise AfterStepError(
                f"process {dist.rank} of {dist.world_size}: the after_step hook raised "
                f"{type(err).__name__}: {message}"
            ) from err


def epoch_trained(run: TrainingRun) -> bool:
    """The training part of the epoch in progress is over: all its batches consumed, or
    ``train.max_iters`` steps done."""
    t, state = run.cfg.train, run.state
    limit_reached = t.max_iters is not None and state.iteration >= t.max_iters
    return limit_reached or state.epoch_batches >= len(run.data.train_loader)


def _periodic_save_due(run: TrainingRun) -> bool:
    """The step just taken is one of ``train.checkpoint_every``'s, and not the epoch's last:
    the epoch loop writes ``last.pt`` at that iteration anyway, after the evaluation (whose
    metrics the copy then holds, for ``best.pt``), so that each rotated copy
    (``train.keep_checkpoints``) holds another iteration."""
    every = run.cfg.train.checkpoint_every
    if every is None or run.state.iteration % every != 0:
        return False
    return not epoch_trained(run)


def end_of_step(run: TrainingRun, info: StepInfo) -> bool:
    """Bookkeeping after every optimizer step; ``True`` stops the epoch (a signal came).

    Moves the run's position on, logs the step, agrees over the processes on a stop request
    (and on a failed write of the step's records), writes the periodic ``last.pt``
    (``train.checkpoint_every``; not on the epoch's last step, :func:`_periodic_save_due`),
    then calls the run's ``after_step`` hook.

    Raises:
        WorkDirError: a process could not write the step's records (every process raises).
        AfterStepError: the hook raised on a process of a distributed run, at the previous
            step (every process raises, here or at the epoch's end).
        Exception: on one process, what the hook raised, at once.
    """
    t, state = run.cfg.train, run.state
    state.iteration, state.epoch_batches = info.iteration + 1, info.epoch_batches
    state.skipped_steps += int(info.skipped)
    if (info.iteration + 1) % max(t.log_every, 1) == 0:
        scalars = {**info.terms, "lr": info.lr, "data_wait": info.data_wait}
        if isinstance(info.grad_norm, float):  # read by the loop on this logged step
            scalars["grad_norm"] = info.grad_norm
        with writing_step_records(run, "tb/"):
            run.records.scalars("train", scalars, info.iteration)
    step_event = {
        "event": "step",
        "epoch": info.epoch,
        "iteration": info.iteration,
        "image_ids": info.image_ids,
    }
    with writing_step_records(run, "ranks/"):
        run.records.rank_event(step_event)
    stop = agree_to_stop(run.stop.requested, run.dist, WorkDirError)  # raises a failed write
    if stop:
        run.stop.signum = run.stop.signum or signal.SIGINT  # the signal reached another process
    elif _periodic_save_due(run):
        save_last_checked(run)
    if run.after_step is not None:
        with _calling_hook(run.dist):  # a failure: shared at the next agreement
            run.after_step(state)
    if run.profiler is not None:  # a failed write: shared at the next agreement
        with writing_step_records(run, "profile/"):
            run.profiler.after_step(info)
    return stop
