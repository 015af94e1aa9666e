"""Where a run begins in its work dir: a new run, or one resumed from ``last.pt``.

- :func:`check_resumable` refuses ``--resume`` into a folder without a run, before anything is
  written there.
- :func:`prepare_work_dir` (rank 0) checks that the folder is writable with room for the
  checkpoints, removes what a killed checkpoint write left, moves a previous run's logs,
  ``best.pt`` and ``last.pt`` aside for a new run, and writes ``config.yaml``.
- :func:`resume_run` loads the newest good ``last.pt`` into the run: weights, optimizer,
  schedule, scaler, EMA, random states and the position inside the epoch; :func:`write_config`
  then writes the resumed run's ``config.yaml``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import yaml

from detseg.engine.checkpointing.checkpoint import (
    CheckpointError,
    check_resume_entries,
    keep_previous,
    keep_previous_last,
    load_resumable,
    remove_stale_temp_files,
    restore_training_state,
)
from detseg.engine.checkpointing.disk_check import (
    LOG_RESERVE_BYTES,
    WorkDirError,
    check_work_dir,
    checkpoint_bytes,
    held_bytes,
    optimizer_state_count,
    required_bytes,
)
from detseg.engine.checkpointing.random_states import seed_everything
from detseg.engine.records.metric_log import keep_previous_log
from detseg.engine.runtime.distributed import broadcast_from_main
from detseg.engine.solver.schedules import keep_saved_warmup
from detseg.engine.training.run_state import RunState
from detseg.engine.training.training_run import TrainingRun
from detseg.torch_files import load_state_error, state_mismatch

logger = logging.getLogger(__name__)

# The logs a run writes in its work dir (metrics, TensorBoard, train.debug_ranks): a new run in a
# used work dir moves the previous run's aside, a resumed run appends to them.
RUN_LOGS = ("metrics.jsonl", "tb", "ranks")


def check_resumable(work_dir: Path) -> None:
    """Refuse ``--resume`` into a folder without a run, before the run writes anything there.

    Whether a checkpoint can be loaded is :func:`resume_run`'s business; this only checks that
    ``work_dir`` holds a ``last.pt`` or one of its older copies (``last.<k>.pt``).

    Raises:
        CheckpointError: ``work_dir`` is no folder, or holds neither file.
    """
    if work_dir.is_dir() and any(
        re.fullmatch(r"last(\.\d+)?\.pt", path.name) for path in work_dir.iterdir()
    ):
        return
    if not work_dir.exists():
        where = "does not exist"
    elif not work_dir.is_dir():
        where = "is a file"
    else:
        where = "holds no last.pt (nor an older copy last.<k>.pt)"
    moved = work_dir / "previous_last.1"
    if moved.is_dir():  # a new run started there moved the previous run's checkpoints aside
        where += (
            f"; the previous run's last.pt was moved to {moved} when a new run started there "
            "(move its files back to resume that run)"
        )
    raise CheckpointError(
        f"cannot resume: the work dir {work_dir} {where}; start without --resume, or point "
        "--work-dir at the run's folder"
    )


def prepare_work_dir(run: TrainingRun, resume: bool = False) -> None:
    """Rank 0 checks the work dir (writable, room for the checkpoints), removes temporary files
    of a killed write and, for a new run, writes ``config.yaml`` (a resumed run writes it with
    :func:`write_config` once ``last.pt`` is loaded: a refused resume leaves the run's own);
    every process learns of a failure.

    A new run (not ``resume``) in a used work dir loses nothing: the previous run's ``best.pt``
    is kept as ``best.1.pt`` (older copies shift up to ``train.keep_checkpoints``, see
    :func:`~detseg.engine.checkpointing.checkpoint.keep_previous`) and one line says so; its
    ``last.pt`` and ``last.<k>.pt`` move into ``previous_last.1/`` (older such folders shift up
    to ``train.keep_checkpoints``, see
    :func:`~detseg.engine.checkpointing.checkpoint.keep_previous_last`), so that ``--resume`` of
    the new run never falls back to the other run's checkpoints. Its
    logs (:data:`RUN_LOGS`) move aside: ``metrics.jsonl`` becomes ``metrics.1.jsonl``, ``tb/``
    ``tb.1/`` and ``ranks/`` ``ranks.1/`` (:func:`keep_previous_log`): the new run starts fresh
    logs, while a resumed run appends to its own.

    Raises:
        WorkDirError: the folder is not writable or its disk too full.
    """
    error = None
    if run.dist.is_main:
        optimizer_states = optimizer_state_count(run.optimizer)
        last = checkpoint_bytes(run.model, optimizer_states, run.ema is not None)
        weights = checkpoint_bytes(run.model, 0, False)
        keep = run.cfg.train.keep_checkpoints
        needed = required_bytes(last, weights, keep)
        if resume:  # its checkpoints replace the ones it goes on with (one temp file more)
            needed = max(needed - held_bytes(run.work_dir, keep), last + LOG_RESERVE_BYTES)
        try:
            check_work_dir(run.work_dir, needed)
            for stale in remove_stale_temp_files(run.work_dir):
                logger.info("removed %s, left by an interrupted checkpoint write", stale)
            if not resume:
                keep_previous(run.work_dir / "best.pt", keep)
                keep_previous_last(run.work_dir / "last.pt", keep)
                for name in RUN_LOGS:
                    log = keep_previous_log(run.work_dir / name)
                    if log is not None:
                        logger.info("a previous run's %s is kept as %s", name, log.name)
                _write_config_file(run)
        except (WorkDirError, OSError) as err:
            error = str(err)
    error = broadcast_from_main(error, run.dist)
    if error is not None:
        raise WorkDirError(error)


def write_config(run: TrainingRun) -> None:
    """Rank 0 writes the run's resolved config to ``config.yaml`` (a resumed run, after
    :func:`resume_run`); every process learns of a failure.

    Raises:
        WorkDirError: the file cannot be written.
    """
    error = None
    if run.dist.is_main:
        try:
            _write_config_file(run)
        except OSError as err:
            error = f"cannot write {run.work_dir / 'config.yaml'}: {err.strerror or err}"
    error = broadcast_from_main(error, run.dist)
    if error is not None:
        raise WorkDirError(error)


def _write_config_file(run: TrainingRun) -> None:
    """``config.yaml``: the resolved config, keys in their order."""
    config_text = yaml.safe_dump(run.cfg.to_dict(), sort_keys=False)
    (run.work_dir / "config.yaml").write_text(config_text)


def resume_run(run: TrainingRun) -> None:
    """Load ``last.pt`` (or its newest good copy) into the run; rank 0 moves the damaged newer
    files aside (``last.pt.corrupt``) so that no later save rotates them over the good copy.

    Raises:
        CheckpointError: no readable checkpoint, or it lacks the training state or the run's
            position (:func:`~detseg.engine.checkpointing.checkpoint.check_resume_entries`).
    """
    saved, source = load_resumable(run.work_dir / "last.pt", set_aside_damaged=run.dist.is_main)
    try:
        run.model.load_state_dict(saved["model"])
    except (RuntimeError, TypeError) as err:  # an older copy (last.N.pt) of another model
        why = state_mismatch(run.model.state_dict(), saved["model"], ()) or load_state_error(err)
        raise CheckpointError(
            f"cannot resume from {source}: its weights do not fit the configured model ({why}); "
            f"resume with the config the run was started with ({run.work_dir / 'config.yaml'})"
        ) from err
    check_resume_entries(saved, source)  # before any state is restored from it
    keep_saved_warmup(run.scheduler, saved, run.cfg.train.warmup_iters)
    restore_training_state(
        saved, run.optimizer, run.scheduler, run.scaler, ema=run.ema, rank=run.dist.rank
    )
    if run.dist.rank >= len(saved.get("rng_ranks") or [None]):
        seed_everything(run.cfg.seed + run.dist.rank + saved["meta"]["iteration"])
    run.state = RunState.from_meta(saved["meta"]["run"])
    state = run.state
    state.saved_iteration = state.iteration
    continue_epoch_at_same_images(run, saved)
    logger.info(
        "resumed from %s: epoch %d (batch %d), iteration %d",
        source,
        state.epoch,
        state.epoch_batches,
        state.iteration,
    )


def continue_epoch_at_same_images(run: TrainingRun, saved: dict[str, Any]) -> None:
    """Move a resumed run's position inside its epoch (``run.state.epoch_batches``, counted in
    batches of the run that wrote ``saved``) to the batch after the same share of the epoch's
    images, when the batches now hold another number of images (another number of processes
    or ``train.batch_size``): resumed at the saved batch count, the epoch would leave images
    out or train some twice. One warning says so (the result is then not bit for bit).
    """
    state, train = run.state, run.cfg.train
    if not state.epoch_batches:  # at an epoch's start: nothing to move
        return
    saved_world = int(saved.get("world_size", 1))
    saved_train = saved["config"].get("train")
    saved_batch = saved_train.get("batch_size") if isinstance(saved_train, dict) else None
    saved_batch = saved_batch if isinstance(saved_batch, int) else train.batch_size
    saved_images, images = saved_world * saved_batch, run.dist.world_size * train.batch_size
    if saved_images == images:
        return
    position = min(state.epoch_batches * saved_images // images, len(run.data.train_loader))
    logger.warning(
        "last.pt was written with batches of %d images (%d processes x train.batch_size %d), "
        "this run's hold %d (%d x %d): the epoch continues at batch %d (after the same share "
        "of its images), not bit for bit",
        saved_images,
        saved_world,
        saved_batch,
        images,
        run.dist.world_size,
        train.batch_size,
        position,
    )
    state.epoch_batches = position
