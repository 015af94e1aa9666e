"""The training recipe behind ``tools/train.py``: one function, :func:`train`, top to bottom.

config -> process group (``torchrun``) -> seed -> task (a segmentation ``data.format`` means
segmentation) -> device settings (``train.amp``, ``train.channels_last``, ``model.compile``
resolved for the device) -> data -> model (channels-last, SyncBatchNorm) -> optimizer (scaled
learning rate) and schedule -> work-dir check -> (resume) -> DDP -> ``torch.compile`` -> for
each epoch: train, evaluate (COCO AP, VOC mAP for a VOC ``eval.metric``, or mIoU, and the
validation loss; the EMA model too), save ``best.pt`` at the first evaluation and whenever the
score improves (a score of -1, nothing to score, gets one warning saying why), then
``last.pt`` (which records it as the best: a kill between the two writes leaves no ``last.pt``
that claims a best the ``best.pt`` does not hold), stop early when it has not improved for
``train.patience`` evaluations -> curves.
With ``train.profile_steps`` (``--profile N``) rank 0 profiles that many steps of the loop
into ``WORK_DIR/profile/`` (:mod:`~detseg.engine.training.step_profiler`).
No checkpoint is written from a model whose weights or buffers (or its EMA's) hold NaN or
infinity: the run stops with exit code 1 and one error line naming the tensor, and the last
good checkpoint stays in place.

Only rank 0 logs, shows progress, and writes files. A SIGINT / SIGTERM stops the run after the
current step with a ``last.pt`` that records the position inside the epoch; ``--resume`` then
continues bit for bit (see :mod:`detseg.engine.checkpointing.interrupt` and
:mod:`detseg.data.loader`). ``train(..., after_step=hook)`` calls ``hook(run_state)`` after
every optimizer step (the resume tests send the run a signal from it at a chosen iteration).
"""

from __future__ import annotations

import logging
import math
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.config import Config
from detseg.data.loader import EpochBatchSampler
from detseg.engine.checkpointing.checkpoint import CheckpointError
from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.checkpointing.interrupt import StopSignals
from detseg.engine.checkpointing.random_states import seed_everything
from detseg.engine.records.run_records import RunRecords
from detseg.engine.runtime.compiling import compile_for_training
from detseg.engine.runtime.device import build_grad_scaler
from detseg.engine.runtime.distributed import (
    DistInfo,
    any_true,
    destroy_distributed,
    init_distributed,
    mean_across,
    peer_lost,
    sum_across,
    wrap_for_training,
)
from detseg.engine.solver.ema import ModelEMA
from detseg.engine.solver.optim import build_optimizer, scaled_lr
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.finite_checks import (
    NonFiniteStateError,
    check_finite,
    save_last_checked,
)
from detseg.engine.training.model_setup import build_run_model, data_task, device_settings
from detseg.engine.training.run_start import (
    check_resumable,
    prepare_work_dir,
    resume_run,
    write_config,
)
from detseg.engine.training.run_state import RunState
from detseg.engine.training.step_profiler import (
    PROFILE_DIR,
    profiled_epoch,
    profiling,
    start_profiler,
    steps_left,
)
from detseg.engine.training.train_data import build_data
from detseg.engine.training.train_loop import (
    EpochPosition,
    EpochStats,
    NonFiniteLossError,
    StepInfo,
    StepSettings,
    train_one_epoch,
)
from detseg.engine.training.train_steps import (
    evaluate_epoch,
    finish_run,
    save_best,
    unscored_note,
)
from detseg.engine.training.training_run import AfterStep, TrainingRun

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What :func:`train` hands back to the command line.

    Attributes:
        exit_code: 0 done (or stopped early), 1 non-finite loss (or weights, see
            :class:`NonFiniteStateError`), ``128 + signal`` interrupted.
        task: ``"detection"`` or ``"segmentation"``.
        run: the final :class:`RunState`.
        totals: ``iterations`` (this invocation), ``skipped_images``, ``dropped_boxes``.
        seconds: wall time.
        work_dir: the run's folder.
        is_main: this process is rank 0 (the one that reports).
        score_key: the validation number ``run.best_score`` is (``AP``, ``voc_mAP`` or
            ``mIoU``; see :func:`~detseg.engine.training.run_state.score_key`).
    """

    exit_code: int
    task: str
    run: RunState
    totals: dict[str, int]
    seconds: float
    work_dir: Path
    is_main: bool = True
    score_key: str = "AP"


def train(
    cfg: Config,
    work_dir: str | Path,
    resume: bool = False,
    *,
    after_step: AfterStep | None = None,
) -> TrainResult:
    """Train the model of ``cfg`` into ``work_dir`` (one process, or one of ``torchrun``'s).

    Args:
        cfg: the resolved config (``cfg.work_dir`` is set to ``work_dir``).
        work_dir: output folder: ``config.yaml``, ``metrics.jsonl``, ``tb/``, ``last.pt``,
            ``best.pt``, ``curves.png``.
        resume: continue from ``work_dir/last.pt`` (or its newest good older copy).
        after_step: called with the run's :class:`RunState` after every optimizer step, once
            the step's stop check and periodic checkpoint are over; a signal it sends lands
            during the next step.

    Raises:
        ConfigError, CheckpointError, WorkDirError, FileNotFoundError: at start-up; with
            ``resume``, a ``work_dir`` without a checkpoint is a ``CheckpointError`` before
            anything is read or written.
        PeerLostError: another process of a distributed run ended while this one waited for it.
    """
    if resume:
        check_resumable(Path(work_dir))
    dist, device = init_distributed(cfg.device)
    try:
        with StopSignals(announce=dist.is_main) as stop:
            result = _train(cfg, Path(work_dir), resume, dist, device, stop, after_step)
    except RuntimeError as err:  # another process ended: one line, not a collective's trace
        lost = peer_lost(err, dist)
        if lost is None:
            destroy_distributed(dist)
            raise
        raise lost from err  # (leaving the process group would wait for the lost process)
    destroy_distributed(dist)
    return result


def _train(
    cfg: Config,
    work_dir: Path,
    resume: bool,
    dist: DistInfo,
    device: torch.device,
    stop: StopSignals,
    after_step: AfterStep | None,
) -> TrainResult:
    cfg.work_dir = str(work_dir)
    start = time.time()
    seed_everything(cfg.seed)
    task = data_task(cfg)
    settings = device_settings(cfg, device)
    logger.info(
        "%s on %s, %d process(es): amp %s (train.amp %s), channels_last %s, compile %s",
        task,
        device,
        dist.world_size,
        settings.amp,
        cfg.train.amp,
        settings.channels_last,
        settings.compile,
    )
    data = build_data(cfg, task, dist, device)
    classes = list(data.train_set.classes)  # num_classes comes from the dataset, never typed
    model = build_run_model(
        cfg, len(classes), task, device, dist, settings=settings, resume=resume, classes=classes
    )
    optimizer, scheduler = build_optimization(cfg, model, len(data.train_loader), dist)
    t = cfg.train
    run = TrainingRun(
        cfg=cfg,
        work_dir=work_dir,
        dist=dist,
        device=device,
        task=task,
        data=data,
        classes=classes,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=build_grad_scaler(device, settings.amp),
        ema=ModelEMA(model, t.ema_decay, t.ema_warmup) if t.ema else None,
        stop=stop,
        records=RunRecords(work_dir, dist, t.tensorboard, t.debug_ranks),
        after_step=after_step,
        settings=settings,
    )
    prepare_work_dir(run, resume=resume)
    if resume:
        resume_run(run)
        write_config(run)  # once last.pt is loaded: a refused resume keeps the run's own
    elif dist.rank > 0:
        seed_everything(cfg.seed + dist.rank)  # own random draws; weights come from rank 0
    run.train_model = wrap_for_training(model, dist, device, t.find_unused_parameters)
    compile_for_training(model, run.train_model, settings.compile)  # after the EMA's copy
    left = steps_left(t, len(data.train_loader), run.state.iteration)
    run.profiler = start_profiler(t, work_dir / PROFILE_DIR, device, dist, left)
    with run.records:
        run.records.log(setup_record(run, resumed=resume))
        with profiling(run.profiler):
            exit_code = run_epochs(run)
        finish_run(run)
    return TrainResult(
        exit_code=exit_code,
        task=task,
        run=run.state,
        totals=dict(run.totals),
        seconds=time.time() - start,
        work_dir=work_dir,
        is_main=dist.is_main,
        score_key=run.score_key,
    )


def effective_batch_size(cfg: Config, dist: DistInfo) -> int:
    """Images per optimizer step over all processes: batch_size * processes * accumulate."""
    return cfg.train.batch_size * dist.world_size * cfg.train.accumulate


def build_optimization(
    cfg: Config, model: nn.Module, batches_per_epoch: int, dist: DistInfo
) -> tuple[torch.optim.Optimizer, torch.optim.lr_scheduler.LambdaLR]:
    """Optimizer with the scaled learning rate, and the per-step schedule."""
    t = cfg.train
    effective = effective_batch_size(cfg, dist)
    base_batch_size = t.base_batch_size or t.batch_size
    lr = scaled_lr(t.lr, effective, base_batch_size, t.lr_scaling)
    logger.info(
        "effective batch %d (%d per process x %d processes x %d accumulated): lr %.4g "
        "(train.lr %.4g, %s scaling from %d)",
        effective,
        t.batch_size,
        dist.world_size,
        t.accumulate,
        lr,
        t.lr,
        t.lr_scaling,
        base_batch_size,
    )
    optimizer = build_optimizer(
        model, t.optimizer, lr, t.momentum, t.weight_decay, t.no_decay_norm_bias
    )
    steps_per_epoch = math.ceil(batches_per_epoch / t.accumulate)
    return optimizer, scheduler_from_config(optimizer, t, iters_per_epoch=steps_per_epoch)


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


def setup_record(run: TrainingRun, resumed: bool) -> dict[str, Any]:
    """The ``{"type": "setup"}`` record that opens each invocation's part of metrics.jsonl
    (with the resolved ``amp``, ``channels_last`` and ``compile``)."""
    return {
        "type": "setup",
        "resumed": resumed,
        "epoch": run.state.epoch,
        "iteration": run.state.iteration,
        "world_size": run.dist.world_size,
        "effective_batch_size": effective_batch_size(run.cfg, run.dist),
        "lr": run.optimizer.param_groups[0]["initial_lr"],
        **run.settings.record(),
    }


def finished(run: TrainingRun) -> bool:
    """Nothing is left to do: all epochs done, ``train.max_iters`` steps done with their epoch
    closed, or ``train.patience`` evaluations without improvement (an early stop).

    An epoch whose training ended (its batches or ``max_iters`` reached) but that was not
    closed (epoch record, evaluation, ``best.pt``, ``last.pt`` of the next epoch) because a
    signal came during its last step or its evaluation still has ``epoch_batches > 0``: a
    resumed run closes it, as the uninterrupted run did (``epoch_loop`` trains no step then).
    """
    t, state = run.cfg.train, run.state
    if state.epoch >= t.epochs:
        return True
    if t.max_iters is not None and state.iteration >= t.max_iters and state.epoch_batches == 0:
        return True
    return state.should_stop_early(t.patience)


def nothing_left(run: TrainingRun) -> str:
    """Why a (resumed) run trains no step: the limit it has already reached."""
    t, state = run.cfg.train, run.state
    if t.max_iters is not None and state.iteration >= t.max_iters:
        reached = f"iteration {state.iteration} already reaches train.max_iters={t.max_iters}"
        key = "train.max_iters"
    elif state.epoch >= t.epochs:
        reached = f"{state.epoch} epochs already reach train.epochs={t.epochs}"
        key = "train.epochs"
    elif state.early_stop_epoch is not None:
        reached = (
            f"the run stopped early after {_evaluations(state.evals_since_best)} without "
            f"improvement (train.patience={t.patience})"
        )
        key = "train.patience"
    else:  # finished its epochs as its patience ran out, or a lowered train.patience
        reached = (
            f"the run did not stop early, but its last {_evaluations(state.evals_since_best)} "
            f"(to epoch {state.epoch - 1}) brought no improvement, which uses up "
            f"train.patience={t.patience}"
        )
        key = "train.patience"
    return f"nothing to train: {reached}; raise {key} (with --resume) to train further"


def _evaluations(count: int) -> str:
    """``"1 evaluation"``, ``"3 evaluations"``."""
    return f"{count} evaluation{'' if count == 1 else 's'}"


def run_epochs(run: TrainingRun) -> int:
    """The epoch loop; returns the exit code (0, 1 non-finite loss or weights, 128 + signal)."""
    try:
        return epoch_loop(run)
    except NonFiniteStateError as err:
        if run.dist.is_main:  # every process raised it, with the same message
            logger.error("%s", err)
        run.records.log({"type": "error", "epoch": run.state.epoch, "message": str(err)})
        return 1


def epoch_loop(run: TrainingRun) -> int:
    """Train, evaluate and save epoch after epoch; returns the exit code of :func:`run_epochs`.

    Each epoch gets one ``epoch`` record, written by the invocation that ends its training
    (:func:`close_epoch_training`): a run stopped by a signal during an epoch's last step or
    its evaluation has written it, and its ``--resume`` (which then trains no batch of that
    epoch) only evaluates and saves.

    Raises:
        NonFiniteStateError: the model became non-finite (checked before every save).
    """
    t, state = run.cfg.train, run.state
    if finished(run) and run.dist.is_main:  # a resumed run that has nothing left to do
        logger.warning("%s", nothing_left(run))
    while not finished(run):
        epoch = state.epoch
        state.early_stop_epoch = None  # training goes on (a resume with a raised patience)
        with profiled_epoch(run.profiler):  # train.profile_steps: collects in the steps only
            stats = train_epoch(run)
        if stats is None:
            return 1
        if stats.interrupted:
            if epoch_trained(run):  # the signal came during the epoch's last step
                close_epoch_training(run, epoch, stats)
            save_last_checked(run)
            return run.stop.exit_code
        if stats.batches > 0:  # else a resumed run whose epoch was trained (and recorded)
            close_epoch_training(run, epoch, stats)
        check_finite(run, "last.pt")  # before the evaluation of a broken model
        done = epoch + 1 >= t.epochs or (t.max_iters is not None and state.iteration >= t.max_iters)
        metrics = None
        if (epoch + 1) % t.eval_every == 0 or done:
            metrics = evaluate_epoch(run)
            if metrics is None:  # interrupted during evaluation: redo it on resume
                save_last_checked(run)
                return run.stop.exit_code
        state.epoch, state.epoch_batches = epoch + 1, 0
        state.last_metrics = metrics
        score = None if metrics is None else metrics[run.score_key]
        note = None if score is None or state.best_epoch is not None else unscored_note(run, score)
        if note is not None and run.dist.is_main:  # the run's first evaluation
            logger.warning("%s", note)
        improved = state.record_score(score, epoch)
        if improved:  # before last.pt records this epoch as the best (the weights are checked)
            save_best(run)
        save_last_checked(run)
        if not done and state.should_stop_early(t.patience):  # else the run simply finished
            logger.info("no improvement for %d evaluations: stopping early", t.patience)
            state.early_stop_epoch = epoch
            run.records.log({"type": "early_stop", "epoch": epoch, "iteration": state.iteration})
            break
    return 0


def epoch_trained(run: TrainingRun) -> bool:
    """The training part of the epoch in progress is over: all its batches consumed, or
    ``train.max_iters`` steps done."""
    t, state = run.cfg.train, run.state
    limit_reached = t.max_iters is not None and state.iteration >= t.max_iters
    return limit_reached or state.epoch_batches >= len(run.data.train_loader)


def close_epoch_training(run: TrainingRun, epoch: int, stats: EpochStats) -> None:
    """The ``epoch`` record of an epoch whose training is over (and its warning when every
    step was skipped)."""
    run.records.log(epoch_record(epoch, run.state.iteration, stats))
    warn_if_all_skipped(epoch, stats)


def warn_if_all_skipped(epoch: int, stats: EpochStats) -> None:
    """One warning when every step of an epoch was dropped for a non-finite loss."""
    if stats.iterations and stats.skipped_steps == stats.iterations:
        logger.warning(
            "every step of epoch %d (%d) was skipped for a non-finite loss: the model is not "
            "learning; try a lower train.lr, a longer train.warmup_iters or train.grad_clip",
            epoch,
            stats.iterations,
        )


def epoch_record(epoch: int, iteration: int, stats: EpochStats) -> dict[str, Any]:
    """The ``{"type": "epoch"}`` record of metrics.jsonl: counts, mean losses and the share
    of time spent waiting for data of an epoch."""
    return {
        "type": "epoch",
        "epoch": epoch,
        "iteration": iteration,
        "seconds": stats.seconds,
        "skipped_images": stats.skipped_images,
        "dropped_boxes": stats.dropped_boxes,
        "skipped_steps": stats.skipped_steps,
        "data_wait": round(stats.data_wait, 4),
        **stats.losses,
    }


def train_epoch(run: TrainingRun) -> EpochStats | None:
    """One (part of an) epoch from the run's position; ``None`` after a non-finite loss."""
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
            metric_log=run.records.metrics,
            after_step=lambda info: end_of_step(run, info),
        )
    except NonFiniteLossError as err:  # last.pt / best.pt keep the last good state
        if state.saved_iteration is None:
            err = err.without_checkpoint()
        if run.dist.is_main:  # every process raised it, with the same message
            logger.error("%s", err)
        run.records.log({"type": "error", "epoch": state.epoch, "message": str(err)})
        return None
    state.epoch_batches = start_batch + stats.batches
    _count_over_processes(stats, run.dist)
    for key in run.totals:
        run.totals[key] += getattr(stats, key)
    return stats


def _count_over_processes(stats: EpochStats, dist: DistInfo) -> None:
    """Sum the epoch's unreadable images and dropped boxes over the processes, and average its
    mean losses: each process counted those of its own shard and averaged its own batches' loss
    terms, and the epoch record and the summary report the run's (collectives once an epoch).

    Every process takes the same steps (a skipped step is skipped everywhere), so the mean
    over the processes of their means is the mean over all the epoch's batches.
    """
    if dist.enabled:
        counts = sum_across(torch.tensor([stats.skipped_images, stats.dropped_boxes]), dist)
        stats.skipped_images, stats.dropped_boxes = (int(n) for n in counts.tolist())
        stats.losses = mean_across(stats.losses, dist)


def end_of_step(run: TrainingRun, info: StepInfo) -> bool:
    """Bookkeeping after every optimizer step; ``True`` stops the epoch (a signal came).

    Moves the run's position on, logs the step, agrees over the processes on a stop request,
    writes the periodic ``last.pt`` (``train.checkpoint_every``), then calls the run's
    ``after_step`` hook.
    """
    t, state = run.cfg.train, run.state
    state.iteration, state.epoch_batches = info.iteration + 1, info.epoch_batches
    state.skipped_steps += int(info.skipped)
    if (info.iteration + 1) % max(t.log_every, 1) == 0:
        scalars = {**info.terms, "lr": info.lr, "data_wait": info.data_wait}
        if isinstance(info.grad_norm, float):  # read by the loop on this logged step
            scalars["grad_norm"] = info.grad_norm
        run.records.scalars("train", scalars, info.iteration)
    step_event = {
        "event": "step",
        "epoch": info.epoch,
        "iteration": info.iteration,
        "image_ids": info.image_ids,
    }
    run.records.rank_event(step_event)
    stop = any_true(run.stop.requested, run.dist)
    if stop:
        run.stop.signum = run.stop.signum or signal.SIGINT  # the signal reached another process
    elif t.checkpoint_every is not None and state.iteration % t.checkpoint_every == 0:
        save_last_checked(run)
    if run.after_step is not None:
        run.after_step(state)
    if run.profiler is not None:
        run.profiler.after_step(info)
    return stop


__all__ = ["CheckpointError", "NonFiniteStateError", "TrainResult", "WorkDirError", "train"]
