"""Where a run begins in its work dir: a new run, or one resumed from ``last.pt``.

- :func:`check_resumable` refuses ``--resume`` into a folder without a run, before anything is
  written there.
- :func:`prepare_work_dir` (rank 0) checks that the folder is writable with room for the
  checkpoints, removes what a killed checkpoint write left, moves a previous run's logs,
  ``best.pt`` and ``last.pt`` aside for a new run, and writes ``config.yaml``.
- :func:`resume_run` loads the newest good ``last.pt`` into the run: weights, optimizer,
  schedule, scaler, EMA, random states and the position inside the epoch; :func:`write_config`
  then writes the resumed run's ``config.yaml``. A run resumed with batches or optimizer steps
  of another number of images goes on after the same images
  (:mod:`~detseg.engine.training.resume_at_same_images`).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import yaml

from detseg.engine.checkpointing.checkpoint import (
    CheckpointError,
    load_checkpoint,
    remove_stale_temp_files,
    remove_stale_temp_files_of,
    written_atomically,
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
from detseg.engine.checkpointing.previous_run_folders import keep_previous_last
from detseg.engine.checkpointing.random_states import seed_everything
from detseg.engine.checkpointing.resume_state import (
    TRAIN_SETTINGS,
    ResumeError,
    check_resume_entries,
    restore_training_state,
)
from detseg.engine.checkpointing.rotation import keep_previous, load_resumable, set_aside
from detseg.engine.records.metric_log import keep_previous_log
from detseg.engine.runtime.distributed import broadcast_from_main
from detseg.engine.runtime.failing_together import failing_together
from detseg.engine.solver.schedules import keep_saved_warmup
from detseg.engine.training.resume_at_same_images import (
    continue_epoch_at_same_images,
    continue_schedule_at_same_images,
)
from detseg.engine.training.run_state import RunState
from detseg.engine.training.training_run import TrainingRun
from detseg.named_settings import literal
from detseg.run_folders import holds_last_checkpoint
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
        ResumeError: ``work_dir`` is no folder, or holds neither file (a ``CheckpointError``
            naming ``resume=True`` and ``work_dir`` as :func:`detseg.engine.train` takes them).
    """
    if holds_last_checkpoint(work_dir):
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
            f"; the previous run's last.pt was moved to {literal(moved)} when a new run started "
            "there (move its files back to resume that run)"
        )
    raise ResumeError(
        f"cannot resume: the work dir {literal(work_dir)} {where}; start without {{resume}}, or "
        "point {work_dir} at the run's folder",
        **TRAIN_SETTINGS,
    )


def prepare_work_dir(run: TrainingRun, resume: bool = False) -> None:
    """Rank 0 checks the work dir (writable, room for the checkpoints), removes temporary files
    of a killed write and, for a new run, writes ``config.yaml`` (a resumed run writes it with
    :func:`write_config` once ``last.pt`` is loaded: a refused resume leaves the run's own);
    every process learns of a failure.

    A new run (not ``resume``) in a used work dir loses nothing: the previous run's ``best.pt``
    is kept as ``best.1.pt`` (older copies shift up to ``train.keep_checkpoints``, see
    :func:`~detseg.engine.checkpointing.rotation.keep_previous`) and one line says so; its
    ``last.pt`` and ``last.<k>.pt`` move into ``previous_last.1/`` (older such folders shift up
    to ``train.keep_checkpoints``, see
    :func:`~detseg.engine.checkpointing.previous_run_folders.keep_previous_last`), so that
    ``--resume`` of the new run never falls back to the other run's checkpoints. Its
    logs (:data:`RUN_LOGS`) move aside: ``metrics.jsonl`` becomes ``metrics.1.jsonl``, ``tb/``
    ``tb.1/`` and ``ranks/`` ``ranks.1/`` (:func:`keep_previous_log`): the new run starts fresh
    logs, while a resumed run appends to its own.

    Raises:
        WorkDirError: the folder is not writable or its disk too full (any other failure of
            rank 0 is raised by every process too, see :func:`failing_together`).
    """
    with failing_together(run.dist, WorkDirError):
        if run.dist.is_main:
            _prepare_main_work_dir(run, resume)


def _prepare_main_work_dir(run: TrainingRun, resume: bool) -> None:
    """Rank 0's part of :func:`prepare_work_dir` (no collectives).

    Raises:
        WorkDirError: the folder is not writable or its disk too full.
    """
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
        for stale in remove_stale_temp_files_of(run.work_dir / "config.yaml"):
            logger.info("removed %s, left by an interrupted write of config.yaml", stale)
        if not resume:
            keep_previous(run.work_dir / "best.pt", keep)
            keep_previous_last(run.work_dir / "last.pt", keep)
            for name in RUN_LOGS:
                log = keep_previous_log(run.work_dir / name)
                if log is not None:
                    logger.info("a previous run's %s is kept as %s", name, log.name)
            _write_config_file(run)
    except OSError as err:
        raise WorkDirError(str(err)) from err


def write_config(run: TrainingRun) -> None:
    """Rank 0 writes the run's resolved config to ``config.yaml`` (a resumed run, after
    :func:`resume_run`); every process learns of a failure.

    Raises:
        WorkDirError: the file cannot be written (any other failure of rank 0 is raised by
            every process too, see :func:`failing_together`).
    """
    with failing_together(run.dist, WorkDirError):
        if run.dist.is_main:
            try:
                _write_config_file(run)
            except OSError as err:
                raise WorkDirError(
                    f"cannot write {run.work_dir / 'config.yaml'}: {err.strerror or err}"
                ) from err


def _write_config_file(run: TrainingRun) -> None:
    """``config.yaml``: the resolved config, keys in their order, in plain UTF-8 (a class name
    or a path such as ``carré`` as written, not escaped; as the converters' ``data.yaml``),
    written atomically (:func:`~detseg.engine.checkpointing.checkpoint.written_atomically`): a
    run killed during the write leaves the previous ``config.yaml`` whole."""
    config_text = yaml.safe_dump(run.cfg.to_dict(), sort_keys=False, allow_unicode=True)
    with written_atomically(run.work_dir / "config.yaml") as partial:
        partial.write_text(config_text, encoding="utf-8")


def resume_run(run: TrainingRun) -> dict[str, Any] | None:
    """Load ``last.pt`` (or its newest good copy) into the run; rank 0 moves the damaged newer
    files aside (``last.pt.corrupt``) so that no later save rotates them over the good copy.

    Every process learns of a failure on any of them (e.g. only rank 0 moves the damaged files
    aside, and only it fails when it cannot; one process's random state or optimizer state
    does not load) and raises the same message, that of the lowest rank that failed
    (:func:`failing_together`): no process goes on to wait for the others at the next
    collective.

    Returns:
        the config stored in the checkpoint (``None`` when it has none), for
        :func:`~detseg.engine.checkpointing.resume_state.log_config_changes`.

    Raises:
        CheckpointError: no readable checkpoint, a damaged one that cannot be moved aside, or
            it lacks the training state or the run's position
            (:func:`~detseg.engine.checkpointing.resume_state.check_resume_entries`).
    """
    with failing_together(run.dist, CheckpointError):
        saved, source = _load_training_state(run)
        run.state = RunState.from_meta(saved["meta"]["run"], saved["meta"].get("run_id"))
    keep_best_pt_score(run)
    with failing_together(run.dist, CheckpointError):
        _continue_run(run, saved, source)
    config = saved.get("config")
    return config if isinstance(config, dict) else None


def _load_training_state(run: TrainingRun) -> tuple[dict[str, Any], Path]:
    """This process's part of :func:`resume_run` that may fail (no collectives): read the
    checkpoint and load the weights, optimizer, schedule, scaler, EMA and random states.

    Returns:
        ``(the checkpoint's state, the file it came from)``.

    Raises:
        CheckpointError: see :func:`resume_run`.
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
    check_resume_entries(saved, source, ema=run.ema is not None)  # before any state is restored
    keep_saved_warmup(run.scheduler, saved, run.cfg.train.warmup_iters)
    restore_training_state(
        saved, run.optimizer, run.scheduler, run.scaler, ema=run.ema, rank=run.dist.rank
    )
    if run.dist.rank >= len(saved.get("rng_ranks") or [None]):
        seed_everything(run.cfg.seed + run.dist.rank + saved["meta"]["iteration"])
    return saved, source


def _continue_run(run: TrainingRun, saved: dict[str, Any], source: Path) -> None:
    """The run's position from the loaded checkpoint ``saved`` (read from ``source``), once
    ``run.state`` is the checkpoint's :class:`RunState` with the best score of its
    ``best.pt`` (:func:`keep_best_pt_score`): the place in the epoch and the schedule (each
    process on its own, no collectives)."""
    state = run.state
    state.saved_iteration = state.iteration
    state.early_stop_epoch = state.epoch - 1 if stopped_early(state, saved) else None
    continue_epoch_at_same_images(run, saved)
    continue_schedule_at_same_images(run, saved)
    logger.info(
        "resumed from %s: epoch %d (batch %d), iteration %d",
        source,
        state.epoch,
        state.epoch_batches,
        state.iteration,
    )


def stopped_early(state: RunState, saved: dict[str, Any]) -> bool:
    """``train.patience`` of the run that wrote ``saved`` (a checkpoint at ``state``) ended
    it before its ``train.epochs`` (or ``train.max_iters``) were done; a run that finished them
    with its patience used up did not stop early."""
    train = saved["config"].get("train")
    train = train if isinstance(train, dict) else {}
    epochs, max_iters, patience = (train.get(k) for k in ("epochs", "max_iters", "patience"))
    if (
        state.epoch_batches
        or not isinstance(patience, int)
        or not state.should_stop_early(patience)
    ):
        return False
    epochs_left = not isinstance(epochs, int) or state.epoch < epochs
    steps_left = not isinstance(max_iters, int) or state.iteration < max_iters
    return epochs_left and steps_left


def keep_best_pt_score(run: TrainingRun) -> None:
    """A resumed run goes on with the best score of its own ``best.pt`` when that is higher
    than the one its checkpoint recorded: a run resumed from an older copy (``last.1.pt``, its
    ``last.pt`` damaged), or killed between the writes of ``best.pt`` and ``last.pt``, would
    otherwise replace a better ``best.pt`` with a re-run epoch that scores between the two.

    ``best.pt`` is the run's own when its ``meta["run_id"]`` is the checkpoint's (a new run
    under ``train.keep_checkpoints=0`` leaves the previous run's in place). Rank 0 reads it and
    every process takes the same score, so that all of them stop early at the same evaluation.
    """
    best = None
    with failing_together(run.dist, CheckpointError):
        if run.dist.is_main:
            best = _own_best_run_meta(run)
    best = broadcast_from_main(best, run.dist)
    if best is not None and run.state.take_best_of(RunState.from_meta(best)):
        logger.info(
            "best.pt holds a higher %s than the checkpoint recorded: going on with %.4f of "
            "epoch %s",
            run.score_key,
            run.state.best_score,
            run.state.best_epoch,
        )


def _own_best_run_meta(run: TrainingRun) -> dict[str, Any] | None:
    """``meta["run"]`` of the work dir's ``best.pt`` when it belongs to the run (the same
    ``meta["run_id"]``); ``None`` when there is no such readable file."""
    path = run.work_dir / "best.pt"
    if not path.is_file():
        return None
    try:
        meta = load_checkpoint(path)["meta"]
    except CheckpointError as err:
        logger.warning("%s; %s", err, _set_aside_damaged_best(path))
        return None
    own = run.state.run_id is not None and meta.get("run_id") == run.state.run_id
    return meta["run"] if own and isinstance(meta.get("run"), dict) else None


def _set_aside_damaged_best(path: Path) -> str:
    """Move a damaged ``best.pt`` aside (``best.pt.corrupt``, see
    :func:`~detseg.engine.checkpointing.rotation.set_aside`), so that loading the run folder
    (which prefers ``best.pt``) falls back to ``last.pt`` until the next best model is written;
    returns the note for the warning."""
    try:
        moved = set_aside(path)
    except OSError as err:
        return (
            f"cannot move it aside ({err.strerror or err}): move or delete it, else loading the "
            "run folder fails until the next best model replaces it"
        )
    return f"moved it to {moved.name}; the next best model is written as best.pt"
