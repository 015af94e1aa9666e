"""The checkpoint, evaluation and wrap-up steps of :mod:`detseg.engine.trainer`.

``save_last`` / ``save_best`` write the checkpoints (rank 0, with every process's random
state); ``evaluate_epoch`` scores the model (and its EMA) on the val split with the validation
loss, logs the records and TensorBoard scalars and images; ``finish_run`` draws ``curves.png``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from torch import nn

from detseg.engine.checkpoint import rng_state, save_checkpoint, save_rotating, training_state
from detseg.engine.curves import plot_curves
from detseg.engine.disk_check import WorkDirError
from detseg.engine.distributed import broadcast_buffers, broadcast_from_main, gather_to_main
from detseg.engine.run_state import SCORE_KEY
from detseg.engine.tensorboard_log import prediction_images
from detseg.engine.validation import validate

if TYPE_CHECKING:
    from detseg.engine.trainer import Session

logger = logging.getLogger(__name__)


def _validate(s: Session, model: nn.Module) -> dict[str, Any] | None:
    cfg = s.cfg
    return validate(
        model, s.data.val_loader, s.device, task=s.task,
        gt=None if s.data.val_gt is None else s.data.val_gt.gt, cat_ids=s.data.cat_ids,
        num_classes=len(s.classes) + 1, backend=cfg.eval.backend, amp=cfg.train.amp,
        val_loss=cfg.eval.val_loss, dist=s.dist, stop=lambda: s.stop.requested,
    )  # fmt: skip


def evaluate_epoch(s: Session) -> dict[str, Any] | None:
    """Validate the model (and the EMA model) after an epoch; log and draw.

    Returns:
        The metrics that pick ``best.pt``: the EMA model's when EMA is on, else the model's;
        ``None`` when a stop signal interrupted the evaluation.
    """
    epoch, iteration = s.run.epoch, s.run.iteration
    for model in (s.model, None if s.ema is None else s.ema.model):
        if model is not None:
            broadcast_buffers(model, s.dist)  # every shard evaluates rank 0's model
    metrics = _validate(s, s.model)
    if metrics is None:
        return None
    s.records.log({"type": "val", "epoch": epoch, "iteration": iteration, **metrics})
    s.records.scalars("val", metrics, iteration)
    chosen, chosen_model = metrics, s.model
    if s.ema is not None:
        ema_metrics = _validate(s, s.ema.model)
        if ema_metrics is None:
            return None
        s.records.log({"type": "val_ema", "epoch": epoch, "iteration": iteration, **ema_metrics})
        s.records.scalars("val_ema", ema_metrics, iteration)
        key = SCORE_KEY[s.task]
        logger.info("EMA %s %.4f (model %.4f)", key, ema_metrics[key], metrics[key])
        chosen, chosen_model = ema_metrics, s.ema.model
    _log_images(s, chosen_model, iteration)
    return chosen


def _log_images(s: Session, model: nn.Module, iteration: int) -> None:
    """The first val images with the predictions of ``model``, to TensorBoard (rank 0)."""
    if s.records.tb is None or s.cfg.train.tensorboard_images == 0:
        return
    count = min(s.cfg.train.tensorboard_images, len(s.data.val_set))
    samples = [s.data.val_set[i] for i in range(count)]
    samples = [sample for sample in samples if sample is not None]
    threshold = s.cfg.eval.score_threshold
    for i, image in enumerate(prediction_images(model, samples, s.classes, s.device, threshold)):
        s.records.tb.image(f"val_predictions/{i}", image, iteration)
    s.records.tb.flush()


def finish_run(s: Session) -> None:
    """Per-rank final weights (``train.debug_ranks``) and ``curves.png`` (rank 0)."""
    if s.cfg.train.debug_ranks:
        broadcast_buffers(s.model, s.dist)
    s.records.rank_final_weights(s.model)
    if s.records.metrics is None:
        return
    try:
        path = plot_curves(s.records.metrics.path, s.work_dir / "curves.png", SCORE_KEY[s.task])
        logger.info("loss and %s curves: %s", SCORE_KEY[s.task], path)
    except (OSError, ValueError) as err:  # a plot must never fail a finished run
        logger.warning("could not draw curves.png: %s", err)


def save_last(s: Session) -> None:
    """Write ``last.pt`` (rank 0) with the training state of every process.

    Raises:
        WorkDirError: rank 0 could not write it (every process raises).
    """
    rngs = gather_to_main(rng_state(), s.dist)  # collective: every process takes part
    error = None
    if s.dist.is_main:
        state = {
            "config": s.cfg.to_dict(),
            "classes": s.classes,
            "model": s.model.state_dict(),
            "meta": s.run.meta(s.data.cat_ids),
            **training_state(s.optimizer, s.scheduler, s.scaler, ema=s.ema),
            "world_size": s.dist.world_size,
        }
        if s.dist.enabled:
            state["rng_ranks"] = rngs
        try:
            save_rotating(s.work_dir / "last.pt", state, s.cfg.train.keep_checkpoints)
        except OSError as err:
            error = f"cannot write {s.work_dir / 'last.pt'}: {err}"
        s.records.rank_event({"event": "save", "file": "last.pt", "iteration": s.run.iteration})
    error = broadcast_from_main(error, s.dist)
    if error is not None:
        raise WorkDirError(error)


def save_best(s: Session) -> None:
    """Write ``best.pt`` (rank 0): the weights that scored best (the EMA's when EMA is on)."""
    if not s.dist.is_main:
        return
    weights = s.ema.model if s.ema is not None else s.model
    meta = s.run.meta(s.data.cat_ids, weights="ema" if s.ema is not None else "model")
    state = {"config": s.cfg.to_dict(), "classes": s.classes, "model": weights.state_dict(),
             "meta": meta}  # fmt: skip
    save_checkpoint(s.work_dir / "best.pt", state)
    s.records.rank_event({"event": "save", "file": "best.pt", "iteration": s.run.iteration})
    score_key = SCORE_KEY[s.task]
    logger.info(
        "epoch %d: new best %s %.4f -> best.pt", s.run.best_epoch, score_key, s.run.best_score
    )
