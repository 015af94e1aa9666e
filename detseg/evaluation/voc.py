"""Pascal VOC average precision (VOC07 11-point and VOC2010+ all-point).

Matching follows the VOC devkit: per class, detections of all images are
visited by descending score; each is compared with the ground-truth boxes of
its class in its image and takes the one of highest IoU. It is a true positive
if that IoU is strictly greater than the threshold and the box is not yet
taken, a false positive if the box is taken (a duplicate) or the IoU is too
low, and ignored (neither) if the box is ``difficult``. Difficult boxes are not
counted as positives.

IoU is the modern continuous one, ``inter / union`` on xyxy float pixels,
without the devkit's ``+1`` on widths and heights (which assumed integer pixel
indices). Scores that tie keep their input order (image order, then order
within the image) thanks to a stable sort.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from detseg.argument_checks import check_unit_number
from detseg.torch_tensors import is_torch_tensor


def voc_evaluate(
    ground_truths: Sequence[dict[str, Any]],
    detections: Sequence[dict[str, Any]],
    iou_threshold: float = 0.5,
    use_07_metric: bool = False,
) -> dict[str, Any]:
    """Computes VOC AP per class and their mean.

    Args:
        ground_truths: per image ``dict(boxes Float[G, 4] xyxy px, labels
            Int64[G], difficult Bool[G] (optional, default all False))``.
        detections: per image (same order) ``dict(boxes Float[D, 4] xyxy px,
            scores Float[D], labels Int64[D])``. Tensors or numpy arrays.
        iou_threshold: a detection matches when IoU > this (strictly).
        use_07_metric: VOC2007 11-point AP (mean over t in 0, 0.1, ..., 1 of the
            highest precision at recall >= t) instead of the all-point AP (area
            under the monotone precision envelope).

    Returns:
        ``{"mAP": float, "AP": {label: float}}`` with one entry per label seen
        in the ground truths or the detections. A label without any
        non-difficult ground truth has AP ``nan`` and is left out of the mean;
        ``mAP`` is ``nan`` when no label has a positive.

    Raises:
        ValueError: when the two lists differ in length, a dict's fields differ
            in length, a box or score is not finite (NaN, inf), or ``iou_threshold`` is no
            number in ``[0, 1]``.
    """
    iou_threshold = check_unit_number(iou_threshold, "iou_threshold")
    if len(ground_truths) != len(detections):
        raise ValueError(
            f"got {len(ground_truths)} ground truths and {len(detections)} detections; "
            "give one entry per image in both (an empty dict entry for an image without any)"
        )
    gts = [_gt_arrays(i, gt) for i, gt in enumerate(ground_truths)]
    dets = [_det_arrays(i, det) for i, det in enumerate(detections)]
    labels = sorted({int(x) for g in gts for x in g[1]} | {int(x) for d in dets for x in d[2]})
    ap = {
        label: _average_precision_per_class(gts, dets, label, iou_threshold, use_07_metric)
        for label in labels
    }
    defined = [v for v in ap.values() if not math.isnan(v)]
    mean_ap = float(np.mean(defined)) if defined else math.nan
    return {"mAP": mean_ap, "AP": ap}


def _average_precision_per_class(
    gts: list, dets: list, label: int, iou_threshold: float, use_07_metric: bool
) -> float:
    """AP of class ``label`` (VOC07 or all-point); ``nan`` without non-difficult gt."""
    tp, fp, num_pos = _match_class(gts, dets, label, iou_threshold)
    if num_pos == 0:
        return math.nan
    tp_cum, fp_cum = np.cumsum(tp), np.cumsum(fp)
    recall = tp_cum / num_pos
    precision = tp_cum / np.maximum(tp_cum + fp_cum, np.finfo(np.float64).eps)
    if use_07_metric:
        return voc07_ap(recall, precision)
    return all_point_ap(recall, precision)


def _match_class(
    gts: list, dets: list, label: int, iou_threshold: float
) -> tuple[np.ndarray, np.ndarray, int]:
    """Greedy VOC matching of one class over all images.

    Returns:
        ``(tp, fp, num_pos)``: ``Float64[D]`` 0/1 flags of the class's ``D`` detections by
        descending score (both 0 for one ignored on a difficult gt), and the number of
        non-difficult gts of the class.
    """
    gt_boxes = [g[0][g[1] == label] for g in gts]
    gt_difficult = [g[2][g[1] == label] for g in gts]
    num_pos = int(sum((~d).sum() for d in gt_difficult))
    image_idx = np.concatenate([np.full(int((d[2] == label).sum()), i) for i, d in enumerate(dets)])
    boxes = np.concatenate([d[0][d[2] == label] for d in dets]).reshape(-1, 4)
    scores = np.concatenate([d[1][d[2] == label] for d in dets])
    order = np.argsort(-scores, kind="stable")
    taken = [np.zeros(len(b), dtype=bool) for b in gt_boxes]
    tp, fp = np.zeros(len(order)), np.zeros(len(order))
    for rank, det_index in enumerate(order):
        image = int(image_idx[det_index])
        if len(gt_boxes[image]) == 0:
            fp[rank] = 1
            continue
        ious = _iou_one_to_many(boxes[det_index], gt_boxes[image])
        best = int(np.argmax(ious))
        if ious[best] <= iou_threshold:
            fp[rank] = 1
        elif gt_difficult[image][best]:
            continue  # matched a difficult object: ignored
        elif taken[image][best]:
            fp[rank] = 1  # duplicate detection
        else:
            tp[rank] = 1
            taken[image][best] = True
    return tp, fp, num_pos


# ``np.arange(0.0, 1.1, 0.1)`` as in py-faster-rcnn's ``voc_eval.py``, Detectron2 and MMDetection:
# its float steps are 0.30000000000000004, 0.6000000000000001 and 0.7000000000000001, not k / 10.
VOC07_RECALL_THRESHOLDS = np.arange(0.0, 1.1, 0.1)


def voc07_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2007 11-point AP: mean over t = 0, 0.1, ..., 1 of max precision at recall >= t.

    The thresholds are :data:`VOC07_RECALL_THRESHOLDS`, those of the Python
    implementations the published VOC07 numbers come from: a recall of exactly
    0.3, 0.6 or 0.7 (e.g. 3 of 10 positives found) does not reach that threshold.

    Args:
        recall: ``Float64[D]`` cumulative recall by descending score, in ``[0, 1]``.
        precision: ``Float64[D]`` cumulative precision, same order.
    """
    total = 0.0
    for threshold in VOC07_RECALL_THRESHOLDS:
        reached = recall >= threshold
        total += float(precision[reached].max()) if reached.any() else 0.0
    return total / 11


def all_point_ap(recall: np.ndarray, precision: np.ndarray) -> float:
    """VOC2010+ AP: area under the monotone (right-to-left max) precision envelope.

    Args:
        recall: ``Float64[D]`` cumulative recall by descending score, in ``[0, 1]``.
        precision: ``Float64[D]`` cumulative precision, same order.
    """
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    mpre = np.maximum.accumulate(mpre[::-1])[::-1]
    changes = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[changes + 1] - mrec[changes]) * mpre[changes + 1]))


def _iou_one_to_many(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """``Float64[G]`` IoU of ``box`` ``[4]`` with ``boxes`` ``[G, 4]``, all xyxy px (0 if empty)."""
    width = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    height = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = width * height
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def _gt_arrays(index: int, gt: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(boxes Float64[G, 4], labels Int64[G], difficult Bool[G])`` of ground truth ``index``.

    Raises:
        ValueError: the three differ in length, or a box is not finite.
    """
    boxes = _as_numpy(gt.get("boxes", np.zeros((0, 4))), np.float64).reshape(-1, 4)
    labels = _as_numpy(gt.get("labels", np.zeros(0)), np.int64).reshape(-1)
    difficult = gt.get("difficult")
    difficult = np.zeros(len(labels), bool) if difficult is None else _as_numpy(difficult, bool)
    difficult = difficult.reshape(-1)
    if not len(boxes) == len(labels) == len(difficult):
        raise ValueError(
            f"ground truth of image {index}: boxes ({len(boxes)}), labels ({len(labels)}) and "
            f"difficult ({len(difficult)}) differ in length"
        )
    if not np.isfinite(boxes).all():
        bad = int(np.flatnonzero(~np.isfinite(boxes).all(axis=1))[0])
        raise ValueError(
            f"ground truth of image {index}: box {bad} is {boxes[bad].tolist()}; ground-truth "
            "boxes must be finite xyxy pixels"
        )
    return boxes, labels, difficult


def _det_arrays(index: int, det: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(boxes Float64[D, 4], scores Float64[D], labels Int64[D])`` of detections ``index``.

    Raises:
        ValueError: the three differ in length, or a score or box is not finite.
    """
    boxes = _as_numpy(det.get("boxes", np.zeros((0, 4))), np.float64).reshape(-1, 4)
    scores = _as_numpy(det.get("scores", np.zeros(0)), np.float64).reshape(-1)
    labels = _as_numpy(det.get("labels", np.zeros(0)), np.int64).reshape(-1)
    if not len(boxes) == len(scores) == len(labels):
        raise ValueError(
            f"detections of image {index}: boxes ({len(boxes)}), scores ({len(scores)}) and "
            f"labels ({len(labels)}) differ in length"
        )
    finite = np.isfinite(scores) & np.isfinite(boxes).all(axis=1)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(
            f"detections of image {index}: detection {bad} has score {scores[bad]} and box "
            f"{boxes[bad].tolist()}; scores and boxes must be finite (a NaN score would rank "
            "it anywhere): check the model's outputs"
        )
    return boxes, scores, labels


def _as_numpy(values: Any, dtype: type) -> np.ndarray:
    """``values`` (a tensor or anything numpy reads) as an array of ``dtype``. A tensor comes
    with torch already imported: numpy inputs (the VOC AP of a predictions file) need no torch."""
    if is_torch_tensor(values):
        values = values.detach().cpu().numpy()
    return np.asarray(values, dtype=dtype)
