"""The checkpoint, evaluation and wrap-up steps of :mod:`detseg.engine.training.trainer`
(all of them read and update a :class:`~detseg.engine.training.training_run.TrainingRun`).

``save_last`` / ``save_best`` write the checkpoints (rank 0, with every process's random
state); ``evaluate_epoch`` scores the model (and its EMA) on the val split with the validation
loss, logs the records and TensorBoard scalars and images; ``finish_run`` draws ``curves.png``.
A failed write of the run's records fails every process with the same line: at once around
the writes of an epoch's end (``writing_records``), at the step's stop agreement for those
inside a training step (``writing_step_records``).
"""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from torch import nn

from detseg.data.said_once import quiet_dataset_warnings
from detseg.engine.checkpointing.checkpoint import save_checkpoint
from detseg.engine.checkpointing.disk_check import WorkDirError
from detseg.engine.checkpointing.random_states import rng_state
from detseg.engine.checkpointing.resume_state import TRAIN_SETTINGS, training_state
from detseg.engine.checkpointing.rotation import save_rotating
from detseg.engine.records.curves import plot_curves
from detseg.engine.records.tensorboard_log import prediction_images
from detseg.engine.runtime.distributed import any_true, broadcast_buffers, gather_to_main
from detseg.engine.runtime.failing_together import deferring_failure, failing_together
from detseg.engine.training.run_state import is_unscored
from detseg.engine.training.training_run import TrainingRun
from detseg.engine.validation.sharded import validate
from detseg.named_settings import literal

logger = logging.getLogger(__name__)


def _validate(run: TrainingRun, model: nn.Module) -> dict[str, Any] | None:
    """The validation of ``model``; ``None`` when a stop signal came during it, between its
    batches or after them (while COCO scored the predictions): the run then stops as after a
    signal during a step (its interrupt exit code, ``last.pt`` with the epoch not closed) and
    ``--resume`` evaluates again, rather than going on to the next step or, after the last
    one, ending as a finished run."""
    metrics = _validate_until_stop(run, model)
    if metrics is None:
        return None
    if any_true(run.stop.requested, run.dist):  # one gather per evaluation: never in a step
        run.stop.signum = run.stop.signum or signal.SIGINT  # the signal reached another process
        return None
    return metrics


def _validate_until_stop(run: TrainingRun, model: nn.Module) -> dict[str, Any] | None:
    cfg = run.cfg
    return validate(
        model,
        run.data.val_loader,
        run.device,
        task=run.task,
        gt=None if run.data.val_gt is None else run.data.val_gt.gt,
        cat_ids=run.data.cat_ids,
        num_classes=len(run.classes) + 1,
        backend=cfg.eval.backend,
        metric=run.metric,
        amp=run.settings.amp,
        val_loss=cfg.eval.val_loss,
        dist=run.dist,
        stop=lambda: run.stop.requested,
        masks=run.data.val_masks,
    )


@contextlib.contextmanager
def writing_records(run: TrainingRun, what: str = "metrics.jsonl, tb/") -> Iterator[None]:
    """Around rank 0's writes of the run's records (``what``: ``metrics.jsonl``, ``tb/``,
    ``profile/``) at the end of an epoch, an evaluation or the epoch loop, where a collective
    follows: a failure there (a full disk, a folder that became read-only) fails every process
    with the same line (:func:`failing_together`) instead of rank 0 stopping alone while the
    others wait for it at their next collective. An ``OSError`` becomes a one-line
    :class:`WorkDirError` naming ``what`` and the work dir.

    Every process enters it; it costs one gather of the processes, so it marks the end of an
    epoch or an evaluation, never a training step (whose host-synchronisation budget it would
    break). Keep collectives out of the block.
    """
    with failing_together(run.dist, WorkDirError), _records_error(run, what):
        yield


@contextlib.contextmanager
def writing_step_records(run: TrainingRun, what: str) -> Iterator[None]:
    """Around a write of the run's records that one process takes on its own inside a training
    step (``what``: rank 0's ``train`` record in ``metrics.jsonl``, its ``tb/`` scalars, the
    ``profile/`` files, a process's ``ranks/`` event), where no collective of its own may come
    (the step's host-synchronisation budget): an ``OSError`` becomes the one-line
    :class:`WorkDirError` of :func:`writing_records`. On one process it is raised at once;
    on several, the process keeps it and goes on with the step (:func:`deferring_failure`)
    until the step's stop agreement (:func:`agree_to_stop`, in ``end_of_step``) or the run's
    next :func:`failing_together`, where every process raises it with the same line.
    """
    with deferring_failure(run.dist), _records_error(run, what):
        yield


@contextlib.contextmanager
def _records_error(run: TrainingRun, what: str) -> Iterator[None]:
    """An ``OSError`` inside becomes a one-line :class:`WorkDirError` naming ``what`` and the
    work dir, and what to do."""
    try:
        yield
    except OSError as err:
        raise failed_write_error(
            f"cannot write the run's records ({what}) in {run.work_dir}: "
            f"{' '.join(str(err).split())}; free disk space or fix the folder's permissions",
            run.work_dir,
        ) from err


def evaluate_epoch(run: TrainingRun) -> dict[str, Any] | None:
    """Validate the model (and the EMA model) after an epoch; log and draw.

    Returns:
        The metrics that pick ``best.pt`` (by ``run.score_key``): the EMA model's when EMA is
        on, else the model's; ``None`` when a stop signal came during the evaluation (its
        batches or its scoring): ``--resume`` evaluates again.
    """
    epoch, iteration = run.state.epoch, run.state.iteration
    for model in (run.model, None if run.ema is None else run.ema.model):
        if model is not None:
            broadcast_buffers(model, run.dist)  # every shard evaluates rank 0's model
    metrics = _validate(run, run.model)
    if metrics is None:
        return None
    ema_metrics = None if run.ema is None else _validate(run, run.ema.model)
    if run.ema is not None and ema_metrics is None:
        return None  # nothing written yet: --resume evaluates both again, records them once
    # the EMA model's validation reads the same images: the summary counts them once
    run.totals["val_skipped_images"] += metrics["skipped_images"]
    with writing_records(run):  # before the saves (collectives)
        run.records.log({"type": "val", "epoch": epoch, "iteration": iteration, **metrics})
        run.records.scalars("val", metrics, iteration)
        if run.ema is None:
            _log_images(run, run.model, iteration)
    if run.ema is None or ema_metrics is None:
        return metrics
    with writing_records(run):
        run.records.log({"type": "val_ema", "epoch": epoch, "iteration": iteration, **ema_metrics})
        run.records.scalars("val_ema", ema_metrics, iteration)
        key = run.score_key
        logger.info("EMA %s %.4f (model %.4f)", key, ema_metrics[key], metrics[key])
        _log_images(run, run.ema.model, iteration)
    return ema_metrics


def unscored_note(run: TrainingRun, score: float) -> str | None:
    """Why a validation ``score`` (``run.score_key``) is -1, the value COCO / VOC AP take when
    there is nothing to score; ``None`` for any other score.

    The run still writes ``best.pt`` (its first evaluated model) and early stopping does not
    count such evaluations, so the note says so.
    """
    if not is_unscored(score):
        return None
    key, root = run.score_key, run.cfg.data.root
    kept = (
        "best.pt holds the first evaluated model (train.patience does not count such evaluations)"
    )
    gt = None if run.data.val_gt is None else run.data.val_gt.gt
    if gt is not None and not any(not a.get("iscrowd", 0) for a in gt["annotations"]):
        return (
            f"validation {key} is {score:g} because the val split ({root}) has no ground-truth "
            f"object to score; {kept}: annotate the val split to pick the best model"
        )
    return (
        f"validation {key} is {score:g}: nothing of the val split ({root}) could be scored "
        f"(no object or class of the ground truth to score); {kept}"
    )


def _log_images(run: TrainingRun, model: nn.Module, iteration: int) -> None:
    """The first val images with the predictions of ``model``, to TensorBoard (rank 0)."""
    if run.records.tb is None or run.cfg.train.tensorboard_images == 0:
        return
    count = min(run.cfg.train.tensorboard_images, len(run.data.val_set))
    with quiet_dataset_warnings():  # the validation has just read them and said what is wrong
        samples = [run.data.val_set[i] for i in range(count)]
    samples = [sample for sample in samples if sample is not None]
    threshold = run.cfg.eval.score_threshold
    images = prediction_images(model, samples, run.classes, run.device, threshold)
    for i, image in enumerate(images):
        run.records.tb.image(f"val_predictions/{i}", image, iteration)
    run.records.tb.flush()


def finish_run(run: TrainingRun) -> None:
    """Per-rank final weights (``train.debug_ranks``) and ``curves.png`` (rank 0); a failure
    on one process fails every process, with the same line (:func:`failing_together`).

    Raises:
        WorkDirError: a process could not write its final weights.
    """
    if run.cfg.train.debug_ranks:
        broadcast_buffers(run.model, run.dist)
    with failing_together(run.dist, WorkDirError):
        _write_final_files(run)


def _write_final_files(run: TrainingRun) -> None:
    """This process's part of :func:`finish_run` (no collectives)."""
    try:
        run.records.rank_final_weights(run.model)
    except OSError as err:
        raise WorkDirError(f"cannot write this process's final weights: {err}") from err
    if run.records.metrics is None:
        return
    score_key = run.score_key
    try:
        path = plot_curves(run.records.metrics.path, run.work_dir / "curves.png", score_key)
        logger.info("loss and %s curves: %s", score_key, path)
    except (OSError, ValueError) as err:  # a plot must never fail a finished run
        logger.warning("could not draw curves.png: %s", err)


def failed_write_error(reason: str, work_dir: Path) -> WorkDirError:
    """The one-line error of a failed write (a checkpoint, the run's records): ``reason``, then
    what to do once it is fixed: continue with a resume from the run's ``last.pt`` in
    ``work_dir``; before its first ``last.pt`` there is nothing to resume from (the resume
    would be refused), so: start again. The resume to continue with is named as the caller
    gave it: ``resume=True`` to :func:`detseg.engine.train`, ``--resume`` to
    ``tools/train.py``."""
    if not (work_dir / "last.pt").is_file():  # no setting to name: nothing to resume from
        return WorkDirError(
            f"{literal(reason)}, then start the run again (it wrote no last.pt to resume from)"
        )
    then = "then continue with {resume} (an earlier last.pt is left as it was)"
    return WorkDirError(f"{literal(reason)}, {then}", resume=TRAIN_SETTINGS["resume"])


def checkpoint_write_error(path: Path, err: OSError) -> WorkDirError:
    """The one-line error of a checkpoint ``path`` that could not be written: the OS's reason
    and what to do (the previous checkpoints are left as they were; :func:`failed_write_error`)."""
    reason = f"cannot write {path}: {err.strerror or err}; free disk space or fix the folder's"
    return failed_write_error(f"{reason} permissions", path.parent)


def save_last(run: TrainingRun) -> None:
    """Write ``last.pt`` (rank 0) with the training state of every process.

    Raises:
        WorkDirError: rank 0 could not write it (every process raises).
    """
    rngs = gather_to_main(rng_state(), run.dist)  # collective: every process takes part
    with failing_together(run.dist, WorkDirError):  # any failure of rank 0 stops them all
        if run.dist.is_main:
            _write_last(run, rngs)


def _write_last(run: TrainingRun, rngs: list[Any] | None) -> None:
    """Rank 0's write of ``last.pt``, with the random states ``rngs`` of every process.

    Raises:
        WorkDirError: the file could not be written.
    """
    state = {
        "config": run.cfg.to_dict(),
        "classes": run.classes,
        "model": run.model.state_dict(),
        "meta": run.state.meta(run.data.cat_ids, score_by=run.score_by),
        **training_state(run.optimizer, run.scheduler, run.scaler, ema=run.ema),
        "world_size": run.dist.world_size,
    }
    if run.dist.enabled:
        state["rng_ranks"] = rngs
    try:
        save_rotating(run.work_dir / "last.pt", state, run.cfg.train.keep_checkpoints)
    except OSError as err:
        raise checkpoint_write_error(run.work_dir / "last.pt", err) from err
    # the debug records list only the files that were written
    run.records.rank_event({"event": "save", "file": "last.pt", "iteration": run.state.iteration})


def save_best(run: TrainingRun) -> None:
    """Write ``best.pt`` (rank 0): the weights that scored best (the EMA's when EMA is on).

    Every process calls it (an improvement is the same on all of them): rank 0 shares whether
    the write failed (any error, :func:`failing_together`), so that all of them stop with the
    same message.

    Raises:
        WorkDirError: rank 0 could not write it (every process raises).
    """
    with failing_together(run.dist, WorkDirError):
        error = _write_best(run) if run.dist.is_main else None
        if error is not None:
            raise error
    if run.dist.is_main:
        logger.info(
            "epoch %d: new best %s %.4f -> best.pt",
            run.state.best_epoch,
            run.score_key,
            run.state.best_score,
        )


def _write_best(run: TrainingRun) -> WorkDirError | None:
    """Rank 0's write of ``best.pt``; returns the one-line error when it fails, else ``None``."""
    weights = run.ema.model if run.ema is not None else run.model
    weights_kind = "ema" if run.ema is not None else "model"
    meta = run.state.meta(run.data.cat_ids, weights=weights_kind, score_by=run.score_by)
    state = {
        "config": run.cfg.to_dict(),
        "classes": run.classes,
        "model": weights.state_dict(),
        "meta": meta,
    }
    path = run.work_dir / "best.pt"
    try:
        save_checkpoint(path, state)
    except OSError as err:
        return checkpoint_write_error(path, err)
    run.records.rank_event({"event": "save", "file": "best.pt", "iteration": run.state.iteration})
    return None
