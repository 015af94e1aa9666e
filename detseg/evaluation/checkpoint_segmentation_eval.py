"""A segmenter's checkpoint evaluation: its label maps (made as the config's ``eval.tta``,
``eval.tta_scales`` and ``eval.crf`` say) compared pixel by pixel with the val split's (void
pixels, 255, ignored); writes ``metrics.json`` and ``confusion_matrix.png`` (the pixel
confusion matrix, each row normalised, class names on the axes).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.data.seg_loader import build_segmentation_loader
from detseg.engine.runtime import resolve_amp
from detseg.engine.validation import (
    class_names_with_background,
    evaluate_segmentation,
    segmentation_table,
    write_segmentation_metrics,
)
from detseg.evaluation.confusion_plot import save_confusion_matrix
from detseg.evaluation.evaluation_split import (
    check_some_image_read,
    evaluated_split,
    evaluation_loader,
    split_name,
    unreadable_note,
)
from detseg.evaluation.output_staging import evaluate_staged
from detseg.evaluation.segmentation_scored import check_some_pixel_scored
from detseg.evaluation.summary import EvaluationSummary
from detseg.segmentation.inference import SegmentationInference


def evaluate_segmenter(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    classes: list[str],
    device: torch.device,
    out: Path,
    split: str | None = None,
) -> EvaluationSummary:
    """Segment ``val_set`` (TTA and CRF as ``cfg.eval`` says); write ``out/metrics.json`` and
    ``out/confusion_matrix.png`` (named in ``metrics.json``'s ``info``).

    Args:
        checkpoint: where the model comes from (stored under ``info``).
        cfg: the checkpoint's config (``detseg.config``), overrides applied.
        model: the segmenter, on ``device``.
        val_set: the val split (or its first ``eval.max_images`` images).
        classes: the ``K`` foreground class names (labels ``1..K``; 0 is background).
        device: where the model runs.
        out: output folder, staged (:func:`~detseg.evaluation.output_staging.evaluate_staged`).
        split: the split's name where one was chosen (``--split``; the report and
            ``metrics.json`` name it), ``None`` for the config's val split.

    Returns:
        The mIoU table and the content of ``metrics.json``.
    """
    # the earlier evaluation's files in ``out`` (an earlier detector's report.html, PR curves,
    # detections.json) stay until both new files are written, and are then removed
    return evaluate_staged(
        out,
        lambda stage: _write_segmenter_evaluation(
            checkpoint, cfg, model, val_set, classes, device, stage, split
        ),
    )


def _write_segmenter_evaluation(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    classes: list[str],
    device: torch.device,
    out: Path,
    split: str | None,
) -> EvaluationSummary:
    """:func:`evaluate_segmenter` writing straight into ``out`` (a staging folder)."""
    inference = SegmentationInference.from_config(cfg.eval)
    amp = resolve_amp(cfg.train.amp, device)
    with evaluation_loader(build_segmentation_loader, val_set, cfg, device) as loader:
        metrics = evaluate_segmentation(
            model, loader, device, len(classes) + 1, amp, inference=inference
        )
    check_some_image_read(metrics["images"], len(val_set), cfg.data)
    check_some_pixel_scored(metrics, val_set, evaluated_split(cfg.data, split))
    unreadable = len(val_set) - metrics["images"]
    info = {
        "checkpoint": str(checkpoint),
        "model": cfg.model.name,
        "dataset": evaluated_split(cfg.data, split),
        "split": split_name(cfg.data, split),
        "images": metrics["images"],
        "unreadable_images": unreadable,
        "tta": cfg.eval.tta,
        "tta_scales": cfg.eval.tta_scales,
        "crf": dataclasses.asdict(cfg.eval.crf),
        "inference": inference.describe(),
        "confusion_matrix": "confusion_matrix.png",
    }
    plot = save_confusion_matrix(
        metrics["confusion_matrix"],
        class_names_with_background(classes),
        out / "confusion_matrix.png",
        f"{cfg.model.name}: pixel confusion matrix on {metrics['images']} images, "
        "normalised per row",
    )
    path = write_segmentation_metrics(out, metrics, classes, info)
    return EvaluationSummary(
        heading=f"Segmentation evaluation of {checkpoint} on {metrics['images']} images"
        + ("" if split is None else f" of split {split}")
        + unreadable_note(unreadable, len(val_set)),
        table=f"{label_maps_line(inference)}\n\n{segmentation_table(metrics, classes)}",
        metrics=json.loads(path.read_text(encoding="utf-8")),
        wrote=[f"Wrote {plot}", f"Wrote {path}"],
    )


def label_maps_line(inference: SegmentationInference) -> str:
    """The line above a segmenter's table naming how its label maps were made, as
    ``metrics.json``'s ``info.inference`` does: validation during training makes them in one
    pass, so views, scales or a CRF change the mIoU from the one training recorded."""
    if inference.is_plain:
        return "Label maps: one pass, as in validation during training"
    return (
        f"Label maps: {inference.describe()} (eval.tta, eval.tta_scales, eval.crf); "
        "validation during training makes them in one pass, so its mIoU differs"
    )
