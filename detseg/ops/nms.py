"""Non-maximum suppression and the final filtering of detections (torchvision.ops kernels)."""

from __future__ import annotations

import torch
import torchvision.ops
from torch import Tensor

from detseg.ops.boxes import _check_boxes


def _check_detections(boxes: Tensor, scores: Tensor, labels: Tensor) -> None:
    _check_boxes(boxes)
    n = boxes.shape[0]
    if boxes.dim() != 2 or scores.shape != (n,) or labels.shape != (n,):
        raise ValueError(
            "boxes, scores and labels must be [N, 4], [N] and [N] with the same N, got "
            f"{tuple(boxes.shape)}, {tuple(scores.shape)} and {tuple(labels.shape)}"
        )


def batched_nms(boxes: Tensor, scores: Tensor, labels: Tensor, iou_threshold: float) -> Tensor:
    """Class-wise NMS: a box only suppresses boxes of its own label.

    Args:
        boxes: ``[N, 4]`` xyxy boxes.
        scores: ``[N]`` scores.
        labels: Int64 ``[N]`` class of each box.
        iou_threshold: A box is dropped when its IoU with a higher-scoring box of the same
            label is ``> iou_threshold``.

    Returns:
        Int64 ``[K]`` indices of the kept boxes, by decreasing score.
    """
    _check_detections(boxes, scores, labels)
    return torchvision.ops.batched_nms(boxes, scores, labels, iou_threshold)


def filter_detections(
    boxes: Tensor,
    scores: Tensor,
    labels: Tensor,
    score_threshold: float,
    iou_threshold: float,
    max_detections: int,
) -> Tensor:
    """The last step of a detector: score threshold, class-wise NMS, then the top ``k``.

    Args:
        boxes: ``[N, 4]`` xyxy boxes.
        scores: ``[N]`` scores.
        labels: Int64 ``[N]`` class of each box.
        score_threshold: Boxes with ``score <= score_threshold`` are dropped.
        iou_threshold: Class-wise NMS threshold (see :func:`batched_nms`).
        max_detections: Most boxes kept (the highest-scoring ones), ``>= 0``.

    Returns:
        Int64 ``[K]`` indices into the inputs, ``K <= max_detections``, by decreasing score.
    """
    _check_detections(boxes, scores, labels)
    if max_detections < 0:
        raise ValueError(f"max_detections must be >= 0, got {max_detections}")
    candidates = torch.where(scores > score_threshold)[0]
    keep = torchvision.ops.batched_nms(
        boxes[candidates], scores[candidates], labels[candidates], iou_threshold
    )
    return candidates[keep[:max_detections]]
