"""A detector's checkpoint evaluation: predict on the val split, write the COCO report
(``metrics.json``, PR curves, ``confusion_matrix.png``, ``report.html`` with a gallery of the
worst images) and ``detections.json`` (COCO results).

With a VOC metric (the config's ``eval.metric``: ``auto`` on VOC data, ``voc07``, ``voc12``)
the VOC mAP and per-class AP lead the report, the COCO numbers beside them. A model with masks
(Mask R-CNN) on COCO data is scored on its masks too (``segm_AP`` ... beside the box numbers;
masks drawn in the gallery), and its detections carry RLE ``segmentation`` binarised at its
``mask_threshold``; on a COCO json without any ``segmentation`` (or VOC, YOLO data) on its
boxes alone, with a warning.

An image that cannot be read is left out with a warning naming it: its ground truth is not
scored (its objects would count as missed), the heading counts it (``on 3 images (1 of the 4
left out as unreadable; ...)``, as the segmenter's does) and ``metrics.json``'s ``info`` holds
``unreadable_images``.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.data.loader import build_loader
from detseg.engine.runtime import resolve_amp
from detseg.engine.validation import (
    annotation_source,
    coco_ground_truth,
    ground_truth_of_images,
    has_masks,
    predict_batches,
)
from detseg.evaluation.coco_checks import ground_truth_has_masks
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.evaluation.evaluation_split import (
    check_some_image_read,
    evaluated_split,
    evaluation_loader,
    split_name,
    unreadable_note,
)
from detseg.evaluation.gallery_sources import gallery_orientation_rule, gallery_sources
from detseg.evaluation.output_staging import evaluate_staged
from detseg.evaluation.summary import EvaluationSummary, write_coco_report
from detseg.evaluation.voc_coco import is_voc_metric, resolve_metric

logger = logging.getLogger(__name__)


def evaluate_detector(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    device: torch.device,
    out: Path,
    worst_k: int = 8,
    score_threshold: float = 0.3,
    split: str | None = None,
) -> EvaluationSummary:
    """Predict on ``val_set``; write the COCO report and ``out/detections.json``.

    Args:
        checkpoint: where the model comes from (named in the report).
        cfg: the checkpoint's config (``detseg.config``), overrides applied.
        model: the detector, on ``device``.
        val_set: the val split (or its first ``eval.max_images`` images).
        device: where the model runs.
        out: output folder, staged (:func:`~detseg.evaluation.output_staging.evaluate_staged`).
        worst_k, score_threshold: see :func:`detseg.evaluation.summary.write_coco_report`.
        split: the split's name where one was chosen (``--split``; the report and
            ``metrics.json`` name it), ``None`` for the config's val split.

    Returns:
        The report's summary, ``detections.json`` added to its ``wrote`` lines.
    """
    # the earlier evaluation's files in ``out`` stay until all the new ones are written
    return evaluate_staged(
        out,
        lambda stage: _write_detector_evaluation(
            checkpoint, cfg, model, val_set, device, stage, worst_k, score_threshold, split
        ),
    )


def _write_detector_evaluation(
    checkpoint: Path,
    cfg: Any,
    model: nn.Module,
    val_set: Any,
    device: torch.device,
    out: Path,
    worst_k: int,
    score_threshold: float,
    split: str | None,
) -> EvaluationSummary:
    """:func:`evaluate_detector` writing straight into ``out`` (a staging folder)."""
    metric = resolve_metric(cfg.eval.metric, cfg.data.format)
    gt = coco_ground_truth(val_set)
    # before predicting: mask AP needs every instance's mask and image size
    segm = scores_masks(model, cfg.data.format) and ground_truth_has_masks(
        gt.gt, annotation_source(val_set, cfg.data.root)
    )
    amp = resolve_amp(cfg.train.amp, device)
    with evaluation_loader(build_loader, val_set, cfg, device) as loader:
        image_ids, predictions = predict_batches(model, loader, device, amp)
    check_some_image_read(len(image_ids), len(val_set), cfg.data)
    unreadable = len(val_set) - len(image_ids)
    detections = predictions_to_coco_results(image_ids, predictions, gt.cat_ids)
    gt_named, images_dir = gallery_sources(val_set, ground_truth_of_images(gt.gt, image_ids))
    info = {
        "checkpoint": str(checkpoint),
        "model": cfg.model.name,
        "dataset": evaluated_split(cfg.data, split),
        "split": split_name(cfg.data, split),
        "images": len(image_ids),
        "unreadable_images": unreadable,
        "backend": cfg.eval.backend,
        "metric": metric,
    }
    kind = "COCO bbox and segm" if segm else "COCO bbox"
    kind = f"{metric.upper()} and {kind}" if is_voc_metric(metric) else kind
    heading = (
        f"{kind} evaluation of {checkpoint} on {len(image_ids)} images{_of_split(split)}"
        + unreadable_note(unreadable, len(val_set))
    )
    summary = write_coco_report(
        out,
        heading,
        gt_named,
        detections,
        images_dir,
        info,
        cfg.eval.backend,
        worst_k,
        score_threshold,
        metric,
        segm,
        gallery_orientation_rule(val_set),
    )
    (out / "detections.json").write_text(json.dumps(detections))
    summary.wrote.append(f"Wrote {out / 'detections.json'}")
    return summary


def _of_split(split: str | None) -> str:
    """``" of split test"`` for a split chosen by name (``--split``), else nothing."""
    return "" if split is None else f" of split {split}"


def scores_masks(model: nn.Module, data_format: str) -> bool:
    """Whether a checkpoint evaluation scores masks: the model predicts them and the data has
    them (COCO json; VOC and YOLO data give box AP only, with a warning)."""
    if not has_masks(model):
        return False
    if data_format != "coco":
        logger.warning(
            "data.format %s has no instance masks: the masks of this model are not scored "
            "(box AP only); evaluate on COCO data for mask AP",
            data_format,
        )
        return False
    return True
