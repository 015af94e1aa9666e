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
This module builds the run and starts it; the epoch loop is
:mod:`~detseg.engine.training.epoch_loop`, one epoch's steps and their bookkeeping
:mod:`~detseg.engine.training.epoch_training`.
With ``train.profile_steps`` (``--profile N``) rank 0 profiles that many steps of the loop
into ``WORK_DIR/profile/`` (:mod:`~detseg.engine.training.step_profiler`).
No checkpoint is written from a model whose weights or buffers (or its EMA's) hold NaN or
infinity: the run stops with exit code 1 and one error line naming the tensor, and the last
good checkpoint stays in place.

Only rank 0 logs, shows progress, and writes files. A SIGINT / SIGTERM stops the run after the
current step with a ``last.pt`` that records the position inside the epoch; ``--resume`` then
continues bit for bit (see :mod:`detseg.engine.checkpointing.interrupt` and
:mod:`detseg.data.train_loader`). ``train(..., after_step=hook)`` calls ``hook(run_state)`` after
every optimizer step (the resume tests send the run a signal from it at a chosen iteration).
"""

from __future__ import annotations

import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.argument_checks import check_switch
from detseg.config import Config, ConfigError, as_config
from detseg.engine.checkpointing.checkpoint import CheckpointError
from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.checkpointing.interrupt import StopSignals
from detseg.engine.checkpointing.random_states import seed_everything
from detseg.engine.checkpointing.resume_state import log_config_changes
from detseg.engine.records.run_records import RunRecords
from detseg.engine.runtime.compiling import (
    check_compile_toolchain,
    compile_failure,
    compile_for_training,
)
from detseg.engine.runtime.device import build_grad_scaler, unused_amp_note
from detseg.engine.runtime.distributed import (
    DistInfo,
    destroy_distributed,
    init_distributed,
    wrap_for_training,
)
from detseg.engine.runtime.failing_together import failing_together, peer_lost
from detseg.engine.runtime.out_of_memory import out_of_memory_error
from detseg.engine.solver.ema import ModelEMA
from detseg.engine.solver.optim import build_optimizer, scaled_lr
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.epoch_loop import run_epochs
from detseg.engine.training.finite_checks import NonFiniteStateError
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
    profiling,
    start_profiler,
    steps_left,
)
from detseg.engine.training.train_data import build_data
from detseg.engine.training.train_steps import finish_run, writing_records
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
        totals: ``iterations`` (this invocation), ``skipped_images``, ``left_out_images``,
            ``dropped_boxes`` (train split), ``val_skipped_images`` (as ``TrainingRun.totals``).
        seconds: wall time.
        work_dir: the run's folder.
        is_main: this process is rank 0 (the one that reports).
        score_key: the validation number ``run.best_score`` is (``AP``, ``voc_mAP`` or
            ``mIoU``; see :func:`~detseg.engine.training.run_state.score_key`).
        world_size: the number of processes that trained (``--nproc N`` or torchrun's).
        late_signal: the stop signal (SIGINT, SIGTERM) of a run that finished all the same:
            it came after the last step and evaluation (while the run wrote its last files),
            with nothing left to stop; ``None`` otherwise.
    """

    exit_code: int
    task: str
    run: RunState
    totals: dict[str, int]
    seconds: float
    work_dir: Path
    is_main: bool = True
    score_key: str = "AP"
    world_size: int = 1
    late_signal: int | None = None


def train(
    cfg: Config | str | os.PathLike[str] | dict[str, Any],
    work_dir: str | Path,
    resume: bool = False,
    *,
    after_step: AfterStep | None = None,
) -> TrainResult:
    """Train the model of ``cfg`` into ``work_dir`` (one process, or one of ``torchrun``'s).

    Args:
        cfg: the resolved config (``cfg.work_dir`` is set to ``work_dir``), or a YAML file
            path or a dict in the YAML layout, read as :func:`~detseg.config.as_config` does.
        work_dir: output folder: ``config.yaml``, ``metrics.jsonl``, ``tb/``, ``last.pt``,
            ``best.pt``, ``curves.png``.
        resume: continue from ``work_dir/last.pt`` (or its newest good older copy).
        after_step: called with the run's :class:`RunState` after every optimizer step, once
            the step's stop check and periodic checkpoint are over; a signal it sends lands
            during the next step.

    Raises:
        ConfigError, CheckpointError, WorkDirError, FileNotFoundError: at start-up; with
            ``resume``, a ``work_dir`` without a checkpoint is a ``CheckpointError`` before
            anything is read or written. ``model.compile`` that cannot work (no C++ compiler
            for inductor on the CPU at start-up, a backend failing on the model's graph at
            the step that compiles it) is a one-line ``ConfigError`` too, and so is running
            out of memory (naming the config's batch and image sizes to lower).
        WorkDirError: during the run too: a checkpoint or a record (``metrics.jsonl``,
            ``tb/``) that rank 0 could not write, raised by every process with the same line.
        PeerLostError: another process of a distributed run ended while this one waited for it.
        TypeError: ``cfg`` is no config, path or dict, or ``work_dir`` no path.
        ValueError: ``resume`` is not ``True`` or ``False`` (the string ``"no"`` would count as
            true).
        AfterStepError: ``after_step`` raised on one process of a distributed run (every
            process raises it, one step later); on one process its own exception passes.
    """
    cfg = as_config(cfg)
    if not isinstance(work_dir, (str, os.PathLike)):
        raise TypeError(
            f"work_dir must be a folder path (a str or pathlib.Path), got {work_dir!r} "
            f"({type(work_dir).__name__}); give the run's output folder, e.g. 'runs/demo'"
        )
    check_switch(resume, "resume")
    resume = bool(resume)  # a numpy bool as the Python one
    if resume:
        # Each process checks on its own, before the process group exists (no collective can
        # share a failure yet). The processes of one machine read one folder, so they pass or
        # fail alike (nothing of the run writes there before this; ``--nproc`` checks it
        # before it starts them). The work dir of a run over several machines must
        # be one shared folder: a machine that does not see last.pt fails here while the
        # others wait to join the process group until torchrun ends them (init's timeout).
        check_resumable(Path(work_dir))
    dist, device = init_distributed(cfg.device)
    try:
        with StopSignals(announce=dist.is_main) as stop:
            result = _train(cfg, Path(work_dir), resume, dist, device, stop, after_step)
    except (RuntimeError, MemoryError) as err:  # another process ended: one line, not a trace
        lost = peer_lost(err, dist) if isinstance(err, RuntimeError) else None
        if lost is None:
            destroy_distributed(dist)
            failed = compile_failure(err, cfg.model.compile) or out_of_memory_error(
                err, cfg, device
            )
            if failed is not None:  # model.compile the backend cannot compile, out of memory
                raise failed from err
            raise
        raise lost from err  # (leaving the process group would wait for the lost process)
    except Exception:
        # a user error (bad data, a failed write), raised by every process together: each
        # leaves the group before it exits, or the group's threads may abort the exit (SIGABRT)
        destroy_distributed(dist)
        raise
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
    with failing_together(dist, ConfigError):  # each process builds its own data and model
        run = _build_run(cfg, work_dir, resume, dist, device, stop, after_step)
    _start_run(run, resume)
    try:
        with failing_together(dist, WorkDirError):  # rank 0 opens metrics.jsonl and tb/
            run.records.open()
            run.records.log(setup_record(run, resumed=resume))
        with profiling(run.profiler):
            exit_code = run_epochs(run)
        if cfg.train.profile_steps > 0:  # every process: finish_run's collective follows
            with writing_records(run, "profile/"):
                if run.profiler is not None:  # rank 0's
                    run.profiler.finish()
        finish_run(run)
    finally:
        run.records.close()
    return TrainResult(
        exit_code=exit_code,
        task=run.task,
        run=run.state,
        totals=dict(run.totals),
        seconds=time.time() - start,
        work_dir=work_dir,
        is_main=dist.is_main,
        score_key=run.score_key,
        world_size=dist.world_size,
        late_signal=stop.signum if exit_code == 0 else None,
    )


def _build_run(
    cfg: Config,
    work_dir: Path,
    resume: bool,
    dist: DistInfo,
    device: torch.device,
    stop: StopSignals,
    after_step: AfterStep | None,
) -> TrainingRun:
    """Seed -> task -> device settings -> data -> model -> optimizer and schedule: the run,
    before its work dir is touched."""
    seed_everything(cfg.seed)
    task = data_task(cfg)
    settings = device_settings(cfg, device)
    check_compile_toolchain(settings.compile, device)  # before minutes of data and model
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
    amp_note = unused_amp_note(cfg.train.amp, device)
    if amp_note is not None and dist.is_main:
        logger.warning(amp_note)
    data = build_data(cfg, task, dist, device)
    classes = list(data.train_set.classes)  # num_classes comes from the dataset, never typed
    model = build_run_model(
        cfg, len(classes), task, device, dist, settings=settings, resume=resume, classes=classes
    )
    optimizer, scheduler = build_optimization(cfg, model, len(data.train_loader), dist)
    t = cfg.train
    return TrainingRun(
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


def _start_run(run: TrainingRun, resume: bool) -> None:
    """Work-dir check -> (resume) -> DDP -> ``torch.compile`` -> the profiler: the run ready
    for its first step. A step that one process takes on its own and that fails there fails
    on every process, with the same line (:func:`failing_together`): none waits for it at
    the next collective."""
    cfg, dist, device, t = run.cfg, run.dist, run.device, run.cfg.train
    model, data, settings = run.model, run.data, run.settings
    prepare_work_dir(run, resume=resume)
    if resume:
        saved_config = resume_run(run)
        if dist.is_main and saved_config is not None:
            log_config_changes(saved_config, cfg.to_dict())
        write_config(run)  # once last.pt is loaded: a refused resume keeps the run's own
    elif dist.rank > 0:
        seed_everything(cfg.seed + dist.rank)  # own random draws; weights come from rank 0
    run.train_model = wrap_for_training(model, dist, device, t.find_unused_parameters)
    with failing_together(dist, ConfigError):  # each process's own, before the first step
        compile_for_training(model, run.train_model, settings.compile)  # after the EMA's copy
        left = steps_left(t, len(data.train_loader), run.state.iteration)
        run.profiler = start_profiler(t, run.work_dir / PROFILE_DIR, device, dist, left)


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


__all__ = ["CheckpointError", "NonFiniteStateError", "TrainResult", "WorkDirError", "train"]
