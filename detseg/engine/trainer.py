"""The training recipe behind ``tools/train.py``: one function, :func:`train`, top to bottom.

config -> process group (``torchrun``) -> seed -> task (a segmentation ``data.format`` means
segmentation) -> data -> model (SyncBatchNorm) -> optimizer (scaled learning rate) and schedule
-> work-dir check -> (resume) -> DDP -> for each epoch: train, evaluate (COCO AP or mIoU, and
the validation loss; the EMA model too), save ``last.pt`` (and ``best.pt`` when the score
improves), stop early when it has not improved for ``train.patience`` evaluations -> curves.

Only rank 0 logs, shows progress, and writes files. A SIGINT / SIGTERM stops the run after the
current step with a ``last.pt`` that records the position inside the epoch; ``--resume`` then
continues bit for bit (see :mod:`detseg.engine.interrupt` and :mod:`detseg.data.loader`).
"""

from __future__ import annotations

import logging
import math
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import yaml
from torch import nn

from detseg.config import Config, ConfigError
from detseg.data.registry import SEG_DATASETS
from detseg.engine.checkpoint import (
    CheckpointError,
    load_resumable,
    remove_stale_temp_files,
    restore_training_state,
    seed_everything,
)
from detseg.engine.device import build_grad_scaler
from detseg.engine.disk_check import (
    WorkDirError,
    check_work_dir,
    checkpoint_bytes,
    optimizer_state_count,
    required_bytes,
)
from detseg.engine.distributed import (
    DistInfo,
    any_true,
    broadcast_from_main,
    convert_sync_batchnorm,
    destroy_distributed,
    init_distributed,
    wrap_for_training,
)
from detseg.engine.ema import ModelEMA
from detseg.engine.interrupt import StopSignals, interrupt_signal_at, send_signal
from detseg.engine.optim import build_optimizer, scaled_lr
from detseg.engine.run_records import RunRecords
from detseg.engine.run_state import SCORE_KEY, RunState
from detseg.engine.schedules import scheduler_from_config
from detseg.engine.train_data import TrainData, build_data
from detseg.engine.train_loop import NonFiniteLossError, StepInfo, train_one_epoch
from detseg.engine.train_steps import evaluate_epoch, finish_run, save_best, save_last
from detseg.models import build_model

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    """What :func:`train` hands back to the command line.

    Attributes:
        exit_code: 0 done (or stopped early), 1 non-finite loss, ``128 + signal`` interrupted.
        task: ``"detection"`` or ``"segmentation"``.
        run: the final :class:`RunState`.
        totals: ``iterations`` (this invocation), ``skipped_images``, ``dropped_boxes``.
        seconds: wall time.
        work_dir: the run's folder.
        is_main: this process is rank 0 (the one that reports).
    """

    exit_code: int
    task: str
    run: RunState
    totals: dict[str, int]
    seconds: float
    work_dir: Path
    is_main: bool = True


@dataclass
class Session:
    """Everything one training run holds (passed to the step functions)."""

    cfg: Config
    work_dir: Path
    dist: DistInfo
    device: torch.device
    task: str
    data: TrainData
    classes: list[str]
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LambdaLR
    scaler: torch.amp.GradScaler
    ema: ModelEMA | None
    stop: StopSignals
    run: RunState = field(default_factory=RunState)
    train_model: nn.Module | None = None
    records: RunRecords | None = None
    totals: dict[str, int] = field(
        default_factory=lambda: {"iterations": 0, "skipped_images": 0, "dropped_boxes": 0}
    )


def task_of(cfg: Config) -> str:
    """``"segmentation"`` for a segmentation ``data.format``, else ``"detection"``."""
    return "segmentation" if cfg.data.format in SEG_DATASETS else "detection"


def train(cfg: Config, work_dir: str | Path, resume: bool = False) -> TrainResult:
    """Train the model of ``cfg`` into ``work_dir`` (one process, or one of ``torchrun``'s).

    Args:
        cfg: the resolved config (``cfg.work_dir`` is set to ``work_dir``).
        work_dir: output folder: ``config.yaml``, ``metrics.jsonl``, ``tb/``, ``last.pt``,
            ``best.pt``, ``curves.png``.
        resume: continue from ``work_dir/last.pt`` (or its newest good older copy).

    Raises:
        ConfigError, CheckpointError, WorkDirError, FileNotFoundError: at start-up.
    """
    dist, device = init_distributed(cfg.device)
    try:
        with StopSignals() as stop:
            return _train(cfg, Path(work_dir), resume, dist, device, stop)
    finally:
        destroy_distributed(dist)


def _train(
    cfg: Config, work_dir: Path, resume: bool, dist: DistInfo, device: torch.device,
    stop: StopSignals,
) -> TrainResult:  # fmt: skip
    cfg.work_dir = str(work_dir)
    start = time.time()
    seed_everything(cfg.seed)
    task = task_of(cfg)
    logger.info("%s on %s, %d process(es)", task, device, dist.world_size)
    data = build_data(cfg, task, dist)
    classes = list(data.train_set.classes)  # num_classes comes from the dataset, never typed
    model = build_model(cfg.model.to_dict(), num_classes=len(classes)).to(device)
    check_task(model, task, cfg)
    model = convert_sync_batchnorm(model, dist, device, cfg.train.sync_bn)
    optimizer, scheduler = build_optimization(cfg, model, len(data.train_loader), dist)
    scaler = build_grad_scaler(device, cfg.train.amp)
    t = cfg.train
    ema = ModelEMA(model, t.ema_decay, t.ema_warmup) if t.ema else None
    s = Session(cfg, work_dir, dist, device, task, data, classes, model, optimizer, scheduler,
                scaler, ema, stop)  # fmt: skip
    prepare_work_dir(s)
    if resume:
        resume_run(s)
    elif dist.rank > 0:
        seed_everything(cfg.seed + dist.rank)  # own random draws; weights come from rank 0
    s.train_model = wrap_for_training(model, dist, device, t.find_unused_parameters)
    with RunRecords(work_dir, dist, t.tensorboard, t.debug_ranks) as s.records:
        s.records.log(setup_record(s, resumed=resume))
        exit_code = run_epochs(s)
        finish_run(s)
    totals = dict(s.totals)
    return TrainResult(exit_code, task, s.run, totals, time.time() - start, work_dir, dist.is_main)


def check_task(model: Any, task: str, cfg: Config) -> None:
    """The model must solve the task of the data (a detector on masks cannot train)."""
    model_task = getattr(model, "task", "detection")
    if model_task != task:
        raise ConfigError(
            f"model.name {cfg.model.name!r} is a {model_task} model but data.format "
            f"{cfg.data.format!r} is a {task} dataset; segmentation formats are "
            f"{', '.join(SEG_DATASETS)}"
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
    lr = scaled_lr(t.lr, effective, t.base_batch_size or t.batch_size, t.lr_scaling)
    logger.info(
        "effective batch %d (%d per process x %d processes x %d accumulated): lr %.4g "
        "(train.lr %.4g, %s scaling from %d)", effective, t.batch_size, dist.world_size,
        t.accumulate, lr, t.lr, t.lr_scaling, t.base_batch_size or t.batch_size,
    )  # fmt: skip
    optimizer = build_optimizer(
        model, t.optimizer, lr, t.momentum, t.weight_decay, t.no_decay_norm_bias
    )
    steps_per_epoch = math.ceil(batches_per_epoch / t.accumulate)
    return optimizer, scheduler_from_config(optimizer, t, iters_per_epoch=steps_per_epoch)


def setup_record(s: Session, resumed: bool) -> dict[str, Any]:
    """The ``{"type": "setup"}`` record that opens each invocation's part of metrics.jsonl."""
    return {
        "type": "setup",
        "resumed": resumed,
        "epoch": s.run.epoch,
        "iteration": s.run.iteration,
        "world_size": s.dist.world_size,
        "effective_batch_size": effective_batch_size(s.cfg, s.dist),
        "lr": s.optimizer.param_groups[0]["initial_lr"],
    }


def prepare_work_dir(s: Session) -> None:
    """Rank 0 checks the work dir (writable, room for the checkpoints), removes temporary files
    of a killed write and writes ``config.yaml``; every process learns of a failure.

    Raises:
        WorkDirError: the folder is not writable or its disk too full.
    """
    error = None
    if s.dist.is_main:
        last = checkpoint_bytes(s.model, optimizer_state_count(s.optimizer), s.ema is not None)
        weights = checkpoint_bytes(s.model, 0, False)
        try:
            check_work_dir(s.work_dir, required_bytes(last, weights, s.cfg.train.keep_checkpoints))
            for stale in remove_stale_temp_files(s.work_dir):
                logger.info("removed %s, left by an interrupted checkpoint write", stale)
            config_text = yaml.safe_dump(s.cfg.to_dict(), sort_keys=False)
            (s.work_dir / "config.yaml").write_text(config_text)
        except (WorkDirError, OSError) as err:
            error = str(err)
    error = broadcast_from_main(error, s.dist)
    if error is not None:
        raise WorkDirError(error)


def resume_run(s: Session) -> None:
    """Load ``last.pt`` (or its newest good copy) into the session.

    Raises:
        CheckpointError: no readable checkpoint, or it lacks the training state.
    """
    state, source = load_resumable(s.work_dir / "last.pt")
    s.model.load_state_dict(state["model"])
    restore_training_state(state, s.optimizer, s.scheduler, s.scaler, ema=s.ema, rank=s.dist.rank)
    if s.dist.rank >= len(state.get("rng_ranks") or [None]):
        seed_everything(s.cfg.seed + s.dist.rank + state["meta"]["iteration"])
    s.run = RunState.from_meta(state["meta"]["run"])
    saved_world = int(state.get("world_size", 1))
    if saved_world != s.dist.world_size and s.run.epoch_batches:
        position = s.run.epoch_batches * saved_world // s.dist.world_size
        logger.warning(
            "last.pt was written by %d processes, this run has %d: the epoch continues at "
            "batch %d (the same share of it), not bit for bit", saved_world,
            s.dist.world_size, position,
        )  # fmt: skip
        s.run.epoch_batches = min(position, len(s.data.train_loader))
    logger.info(
        "resumed from %s: epoch %d (batch %d), iteration %d",
        source, s.run.epoch, s.run.epoch_batches, s.run.iteration,
    )  # fmt: skip


def finished(s: Session) -> bool:
    t = s.cfg.train
    return s.run.epoch >= t.epochs or (t.max_iters is not None and s.run.iteration >= t.max_iters)


def run_epochs(s: Session) -> int:
    """The epoch loop; returns the exit code (0, 1 non-finite loss, 128 + signal)."""
    t = s.cfg.train
    while not finished(s):
        epoch = s.run.epoch
        stats = train_epoch(s)
        if stats is None:
            return 1
        if stats.interrupted:
            save_last(s)
            return s.stop.exit_code
        s.records.log({"type": "epoch", "epoch": epoch, "iteration": s.run.iteration,
                       "seconds": stats.seconds, "skipped_images": stats.skipped_images,
                       "dropped_boxes": stats.dropped_boxes, "skipped_steps": stats.skipped_steps,
                       **stats.losses})  # fmt: skip
        done = epoch + 1 >= t.epochs or (t.max_iters is not None and s.run.iteration >= t.max_iters)
        metrics = None
        if (epoch + 1) % t.eval_every == 0 or done:
            metrics = evaluate_epoch(s)
            if metrics is None:  # interrupted during evaluation: redo it on resume
                save_last(s)
                return s.stop.exit_code
        s.run.epoch, s.run.epoch_batches = epoch + 1, 0
        s.run.last_metrics = metrics
        improved = s.run.record_score(
            None if metrics is None else metrics[SCORE_KEY[s.task]], epoch
        )
        save_last(s)
        if improved:
            save_best(s)
        if s.run.should_stop_early(t.patience):
            logger.info("no improvement for %d evaluations: stopping early", t.patience)
            s.records.log({"type": "early_stop", "epoch": epoch, "iteration": s.run.iteration})
            break
    return 0


def train_epoch(s: Session) -> Any:
    """One (part of an) epoch from the run's position; ``None`` after a non-finite loss."""
    t, run = s.cfg.train, s.run
    sampler = s.data.train_loader.batch_sampler
    sampler.set_epoch(run.epoch)
    sampler.skip_next(run.epoch_batches)
    start_batch = run.epoch_batches
    try:
        stats = train_one_epoch(
            s.model, s.data.train_loader, s.optimizer, s.scheduler, s.device, run.epoch,
            start_iteration=run.iteration, amp=t.amp, scaler=s.scaler,
            max_iters=None if t.max_iters is None else t.max_iters - run.iteration,
            grad_clip=t.grad_clip, log_every=t.log_every, metric_log=s.records.metrics,
            accumulate=t.accumulate, on_nonfinite=t.on_nonfinite, ema=s.ema,
            train_model=s.train_model, dist=s.dist, start_batch=start_batch,
            after_step=lambda info: after_step(s, info),
        )  # fmt: skip
    except NonFiniteLossError as err:  # last.pt / best.pt keep the last good state
        if s.dist.is_main:  # every process raised it, with the same message
            logger.error("%s", err)
        s.records.log({"type": "error", "epoch": run.epoch, "message": str(err)})
        return None
    run.epoch_batches = start_batch + stats.batches
    for key in s.totals:
        s.totals[key] += getattr(stats, key)
    return stats


def after_step(s: Session, info: StepInfo) -> bool:
    """Bookkeeping after every optimizer step; ``True`` stops the epoch (a signal came)."""
    t, run = s.cfg.train, s.run
    run.iteration, run.epoch_batches = info.iteration + 1, info.epoch_batches
    run.skipped_steps += int(info.skipped)
    if (info.iteration + 1) % max(t.log_every, 1) == 0:
        lr = s.optimizer.param_groups[0]["lr"]
        s.records.scalars("train", {**info.terms, "lr": lr}, info.iteration)
    s.records.rank_event({"event": "step", "epoch": info.epoch, "iteration": info.iteration,
                          "image_ids": info.image_ids})  # fmt: skip
    stop = any_true(s.stop.requested, s.dist)
    if stop:
        s.stop.signum = s.stop.signum or signal.SIGINT  # the signal reached another process
    elif t.checkpoint_every is not None and run.iteration % t.checkpoint_every == 0:
        save_last(s)
    requested = interrupt_signal_at(run.iteration)  # a test hook: lands during the next step
    if requested is not None:
        send_signal(*requested)
    return stop


__all__ = ["CheckpointError", "TrainResult", "WorkDirError", "train"]
