"""VOC AP of a COCO ground truth and COCO results, and the choice of the detection metric.

The VOC protocol scores a detector at IoU 0.5 per class and ignores ``difficult`` objects: a
detection on one is neither a true nor a false positive, and missing one costs nothing
(:func:`detseg.evaluation.voc.voc_evaluate`). Here the ground truth is a COCO dict, as every
detection evaluation of detseg has one: an annotation with ``difficult: 1`` or ``iscrowd: 1``
is difficult. ``dataset_to_coco_gt`` writes a VOC dataset's difficult objects with both flags,
so the COCO numbers of the same evaluation treat them as ignored regions too.

Metrics (``eval.metric`` of a config, ``--metric`` of ``tools/eval.py``):

- ``coco``: the 12 COCO numbers; ``AP`` (IoU 0.50:0.95) ranks checkpoints.
- ``voc07``: VOC2007 test protocol, 11-point interpolated AP; the VOC mAP ranks checkpoints
  and the 12 COCO numbers are reported beside it.
- ``voc12``: VOC2010+ all-point AP (area under the precision envelope), otherwise as voc07.
- ``auto``: ``voc07`` for ``data.format: voc``, ``coco`` for every other format.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from detseg.choices.detection_metrics import METRIC_CHOICES
from detseg.evaluation.checked_detections import checked_fields
from detseg.evaluation.coco_checks import check_detection, check_required_fields
from detseg.evaluation.coco_ground_truth import load_coco_gt
from detseg.evaluation.coco_per_class import category_names
from detseg.evaluation.voc import voc_evaluate

DetectionMetric = Literal["coco", "voc07", "voc12"]
VOC_METRICS = ("voc07", "voc12")
#: IoU above which a detection matches in the VOC protocol.
VOC_IOU_THRESHOLD = 0.5

_TITLES = {
    "voc07": "VOC07 mAP (11-point, IoU 0.5, difficult ignored)",
    "voc12": "VOC12 mAP (all-point, IoU 0.5, difficult ignored)",
}


def resolve_metric(metric: str, data_format: str | None = None) -> DetectionMetric:
    """The metric ``metric`` stands for: ``auto`` is ``voc07`` for VOC data, else ``coco``.

    Args:
        metric: one of :data:`METRIC_CHOICES`.
        data_format: the config's ``data.format`` (``None``: unknown, ``auto`` means ``coco``).

    Raises:
        ValueError: an unknown ``metric``.
    """
    if metric == "auto":
        return "voc07" if data_format == "voc" else "coco"
    for known in ("coco", "voc07", "voc12"):
        if metric == known:
            return known
    raise ValueError(f"metric must be one of {METRIC_CHOICES}, got {metric!r}")


def is_voc_metric(metric: str) -> bool:
    """``True`` for ``voc07`` and ``voc12``."""
    return metric in VOC_METRICS


def metric_title(metric: str) -> str:
    """What the primary number of ``metric`` is, e.g. ``"VOC07 mAP (11-point, IoU 0.5, ...)"``."""
    return _TITLES.get(metric, "COCO AP (IoU 0.50:0.95)")


def voc_evaluate_coco(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    metric: str = "voc07",
    iou_threshold: float = VOC_IOU_THRESHOLD,
) -> dict[str, Any]:
    """VOC AP of COCO results against a COCO ground truth, per category and their mean.

    Args:
        gt: COCO ground truth, a json path or dict (``images``, ``annotations`` with
            ``image_id``, ``category_id``, ``bbox`` xywh px, ``area``, ``iscrowd`` and optionally
            ``difficult`` 0 or 1, ``categories``). An annotation with ``difficult`` or
            ``iscrowd`` set is difficult: ignored, as the VOC devkit ignores difficult objects.
        detections: COCO results, one dict per detection with ``image_id``, ``category_id``,
            ``score`` and ``bbox`` (xywh px). Detections of categories absent from ``gt`` are
            ignored, as the COCO evaluation ignores them.
        metric: ``"voc07"`` (11-point AP) or ``"voc12"`` (all-point AP).
        iou_threshold: a detection matches when its IoU is above this.

    Returns:
        ``{"metric", "iou_threshold", "mAP", "per_class": {category name: AP}}``, with one
        entry per category of ``gt`` (names as in ``coco_evaluate``'s ``per_class``). A
        category without non-difficult ground truth has AP -1.0 (pycocotools' convention for
        "nothing to average over") and is left out of ``mAP``, which is -1.0 when no category
        has one.

    Raises:
        ValueError: a metric other than voc07 / voc12, a malformed ground truth (a
            ``difficult`` other than 0 or 1, such as the string ``"0"``, too), or a
            detection that names an image absent from ``gt``, lacks a field or has a malformed
            one (a bbox that is not four numbers, a score that is not a number).
    """
    if not is_voc_metric(metric):
        raise ValueError(f"metric must be one of {VOC_METRICS}, got {metric!r}")
    gt_dict = load_coco_gt(gt)
    source = str(gt) if isinstance(gt, (str, os.PathLike)) else "the ground truth"
    check_difficult_flags(gt_dict["annotations"], source)
    cat_ids = [int(c["id"]) for c in gt_dict["categories"]]
    ground_truths, per_image_dets = _per_image_inputs(gt_dict, detections, set(cat_ids))
    result = voc_evaluate(
        ground_truths, per_image_dets, iou_threshold, use_07_metric=metric == "voc07"
    )
    names = category_names(gt_dict, cat_ids)
    per_class = {names[c]: _or_minus_one(result["AP"].get(c, math.nan)) for c in cat_ids}
    return {
        "metric": metric,
        "iou_threshold": iou_threshold,
        "mAP": _or_minus_one(result["mAP"]),
        "per_class": per_class,
    }


def check_difficult_flags(annotations: list, source: str) -> None:
    """Raise a ``ValueError`` naming ``source`` and the first annotation whose ``difficult`` is
    neither absent, ``null``, 0 nor 1 (``false`` and ``true`` count as 0 and 1): a string such
    as ``"0"`` would otherwise read as set, and make every object of the file difficult.

    Raises:
        ValueError: ``"gt.json: annotations[0] (id 7) has difficult '0'; expected 0 or 1 ..."``.
    """
    for index, ann in enumerate(annotations):
        flag = ann.get("difficult") if isinstance(ann, dict) else None
        if flag is None or (isinstance(flag, numbers.Real) and flag in (0, 1)):
            continue
        raise ValueError(
            f"{source}: annotations[{index}] (id {ann.get('id')!r}) has difficult {flag!r}; "
            "expected 0 or 1 (a number, not a string), or no 'difficult'"
        )


def _per_image_inputs(
    gt: dict, detections: Sequence[dict], cat_ids: set[int]
) -> tuple[list[dict[str, np.ndarray]], list[dict[str, np.ndarray]]]:
    """``voc_evaluate``'s per-image lists (xyxy px, labels = category ids), in gt image order.

    Detections and gt annotations of categories outside ``cat_ids`` are dropped (the COCO
    evaluation ignores them too); an annotation with ``difficult`` or ``iscrowd`` set is
    marked difficult.

    Raises:
        ValueError: a malformed detection, or one naming an image absent from ``gt``.
    """
    position = {int(img["id"]): k for k, img in enumerate(gt["images"])}
    gts: list[list[tuple[list[float], int, bool]]] = [[] for _ in position]
    for ann in gt["annotations"]:
        if int(ann["image_id"]) in position and int(ann["category_id"]) in cat_ids:
            difficult = bool(ann.get("difficult", 0)) or bool(ann.get("iscrowd", 0))
            item = (_xyxy(ann["bbox"]), int(ann["category_id"]), difficult)
            gts[position[int(ann["image_id"])]].append(item)
    dets: list[list[tuple[list[float], float, int]]] = [[] for _ in position]
    required = ("image_id", "category_id", "score", "bbox")
    checked = checked_fields(detections, required)  # CheckedDetections: checked once before
    for i, det in enumerate(detections):
        if not checked:
            check_detection(det, i)
            check_required_fields(det, i, required)
        if det.get("image_id") not in position:
            raise ValueError(
                f"detection {i} has image_id {det.get('image_id')!r}, which is not an image of "
                "the ground truth; evaluate only images listed in gt['images']"
            )
        if int(det["category_id"]) in cat_ids:
            item_det = (_xyxy(det["bbox"]), float(det["score"]), int(det["category_id"]))
            dets[position[int(det["image_id"])]].append(item_det)
    ground_truths = [
        {
            "boxes": np.asarray([g[0] for g in items], np.float64).reshape(-1, 4),
            "labels": np.asarray([g[1] for g in items], np.int64),
            "difficult": np.asarray([g[2] for g in items], bool),
        }
        for items in gts
    ]
    per_image_dets = [
        {
            "boxes": np.asarray([d[0] for d in items], np.float64).reshape(-1, 4),
            "scores": np.asarray([d[1] for d in items], np.float64),
            "labels": np.asarray([d[2] for d in items], np.int64),
        }
        for items in dets
    ]
    return ground_truths, per_image_dets


def _xyxy(box: Sequence[float]) -> list[float]:
    """COCO ``[x, y, w, h]`` -> ``[x1, y1, x2, y2]`` floats (absolute pixels)."""
    x, y, w, h = (float(v) for v in box)
    return [x, y, x + w, y + h]


def _or_minus_one(value: float) -> float:
    return -1.0 if math.isnan(value) else float(value)
