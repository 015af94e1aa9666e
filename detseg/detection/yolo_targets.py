"""Target assignment for the YOLO heads (v1 grid and v3 multi-scale priors).

All boxes are ``xyxy`` pixels of the network input (after :class:`DetectionTransform`).

**YOLOv1.** The cell of the ``S x S`` grid that contains a ground-truth centre is responsible
for it; inside that cell, the predictor (of ``B``) whose decoded box has the highest IoU with
the ground truth is the responsible predictor (first one on ties). A cell holds at most one
object: when several centres fall in the same cell, the largest box is kept.

**YOLOv3.** Each ground truth goes to the single prior (over every level) whose shape matches
best (IoU of the two ``(w, h)`` centred at the same point), at the cell of that prior's level
that contains its centre. With an ``assign_thresh`` (YOLOv4's multi-anchor rule), it also goes
to every other prior whose shape IoU with it is above the threshold, each at the cell of its
own level: several positives per object instead of one. When two ground truths land on the
same (level, cell, prior), the larger one is kept. A prediction that is not assigned but whose
decoded box overlaps some ground truth with IoU above ``ignore_thresh`` is ignored (neither
positive nor negative).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from detseg.ops.boxes import box_area, box_iou
from detseg.ops.yolo_priors import encode_yolov1_boxes, paired_box_iou, wh_iou


def keep_largest_per_slot(slots: Tensor, areas: Tensor) -> Tensor:
    """Keep one ground truth per slot (cell / prior): the largest, then the first.

    Args:
        slots: ``Int64[N]`` slot index of each ground truth.
        areas: ``Float[N]`` box areas.

    Returns:
        ``Bool[N]``: True for the ground truths that keep their slot.
    """
    index = torch.arange(slots.numel(), device=slots.device)
    same = slots[:, None] == slots[None, :]  # [N, N]
    beats = (areas[None, :] > areas[:, None]) | (
        (areas[None, :] == areas[:, None]) & (index[None, :] < index[:, None])
    )  # beats[i, j]: gt j wins over gt i
    return ~(same & beats).any(dim=1)


@dataclass
class YOLOv1Targets:
    """Dense per-cell YOLOv1 targets of a batch (``S x S`` grid).

    Attributes:
        object_mask: ``Bool[B, S, S]`` cells that hold a ground-truth centre.
        boxes: ``Float[B, S, S, 4]`` that ground truth (xyxy input pixels; 0 elsewhere).
        encoded: ``Float[B, S, S, 4]`` its ``(x, y, sqrt_w, sqrt_h)`` targets.
        labels: ``Int64[B, S, S]`` its label ``1..K`` (0 elsewhere).
    """

    object_mask: Tensor
    boxes: Tensor
    encoded: Tensor
    labels: Tensor


def _assign_yolov1_per_image(
    boxes: Tensor, labels: Tensor, grid_size: int, image_size: tuple[int, int]
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    s = grid_size
    object_mask = torch.zeros(s * s, dtype=torch.bool, device=boxes.device)
    dense_boxes = boxes.new_zeros((s * s, 4))
    encoded = boxes.new_zeros((s * s, 4))
    dense_labels = torch.zeros(s * s, dtype=torch.int64, device=boxes.device)
    if boxes.numel() > 0:
        cells, values = encode_yolov1_boxes(boxes, s, image_size)
        slots = cells[:, 0] * s + cells[:, 1]
        keep = keep_largest_per_slot(slots, box_area(boxes))
        slots = slots[keep]
        object_mask[slots] = True
        dense_boxes[slots] = boxes[keep]
        encoded[slots] = values[keep]
        dense_labels[slots] = labels[keep]
    shape = (s, s)
    return (
        object_mask.view(shape),
        dense_boxes.view(*shape, 4),
        encoded.view(*shape, 4),
        dense_labels.view(shape),
    )


def assign_yolov1_targets(
    targets: Sequence[dict[str, Tensor]], grid_size: int, image_size: tuple[int, int]
) -> YOLOv1Targets:
    """Dense YOLOv1 targets for a batch.

    Args:
        targets: per image ``boxes`` ``Float[N, 4]`` (xyxy input pixels) and ``labels``
            ``Int64[N]``; ``N = 0`` allowed.
        grid_size: ``S``.
        image_size: ``(H, W)`` of the network input the grid covers.

    Returns:
        The :class:`YOLOv1Targets` of the batch.
    """
    per_image = [
        _assign_yolov1_per_image(t["boxes"], t["labels"], grid_size, image_size) for t in targets
    ]
    return YOLOv1Targets(*(torch.stack(parts) for parts in zip(*per_image, strict=True)))


def yolov1_responsible(pred_boxes: Tensor, targets: YOLOv1Targets) -> tuple[Tensor, Tensor]:
    """The responsible predictor of each object cell, and the IoU of every predictor.

    Args:
        pred_boxes: ``Float[B, S, S, P, 4]`` decoded xyxy boxes of the ``P`` predictors.
        targets: the batch's :class:`YOLOv1Targets`.

    Returns:
        ``Bool[B, S, S, P]`` responsible predictors (one per object cell, none elsewhere) and
        ``Float[B, S, S, P]`` IoU of each (detached) predicted box with its cell's ground truth.
    """
    iou = paired_box_iou(pred_boxes.detach(), targets.boxes.unsqueeze(-2))  # [B, S, S, P]
    best = iou.argmax(dim=-1, keepdim=True)  # the first maximum on ties
    one_hot = torch.zeros_like(iou, dtype=torch.bool).scatter_(-1, best, True)
    return one_hot & targets.object_mask.unsqueeze(-1), iou


def yolov3_level_index(
    priors_per_level: Sequence[Tensor], feature_sizes: Sequence[tuple[int, int]]
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Flat bookkeeping of the priors of every level.

    Args:
        priors_per_level: ``Float[A_l, 2]`` prior sizes of each level.
        feature_sizes: ``(h_l, w_l)`` of each level.

    Returns:
        For the ``P = sum A_l`` priors: ``Float[P, 2]`` sizes, ``Int64[P]`` level,
        ``Int64[P]`` anchor index within its level, and ``Int64[L]`` the offset of each
        level in the flat prediction order (level -> y -> x -> anchor).
    """
    device = priors_per_level[0].device
    sizes = torch.cat(list(priors_per_level))
    counts = [p.shape[0] for p in priors_per_level]
    levels = torch.repeat_interleave(
        torch.arange(len(counts), device=device), torch.tensor(counts, device=device)
    )
    anchors = torch.cat([torch.arange(c, device=device) for c in counts])
    numel = torch.tensor(
        [h * w * c for (h, w), c in zip(feature_sizes, counts, strict=True)], device=device
    )
    offsets = torch.cumsum(numel, 0) - numel
    return sizes, levels, anchors, offsets


def assign_yolov3_per_image(
    boxes: Tensor,
    priors_per_level: Sequence[Tensor],
    strides: Sequence[float],
    feature_sizes: Sequence[tuple[int, int]],
    assign_thresh: float | None = None,
) -> Tensor:
    """Assign each ground truth to its prediction slots (prior shape, cell of its centre).

    Args:
        boxes: ``Float[N, 4]`` xyxy ground truths in input pixels.
        priors_per_level: ``Float[A_l, 2]`` prior ``(w, h)`` in pixels, per level.
        strides: input pixels per cell, per level.
        feature_sizes: ``(h_l, w_l)`` grid size, per level.
        assign_thresh: ``None``: the best-matching prior only (YOLOv3); else also every prior
            whose shape IoU with the ground truth is ``> assign_thresh`` (YOLOv4).

    Returns:
        ``Int64[T]`` over the ``T = sum h_l * w_l * A_l`` predictions (level -> y -> x ->
        anchor): the index of the assigned ground truth, or ``-1``.
    """
    sizes, levels, anchors, offsets = yolov3_level_index(priors_per_level, feature_sizes)
    total = int(
        sum(h * w * p.shape[0] for (h, w), p in zip(feature_sizes, priors_per_level, strict=True))
    )
    matched = torch.full((total,), -1, dtype=torch.int64, device=boxes.device)
    if boxes.numel() == 0:
        return matched
    shape_iou = wh_iou(boxes[:, 2:] - boxes[:, :2], sizes)  # [N, P]
    chosen = torch.zeros_like(shape_iou, dtype=torch.bool)
    chosen[torch.arange(boxes.shape[0]), shape_iou.argmax(dim=1)] = True
    if assign_thresh is not None:
        chosen |= shape_iou > assign_thresh
    gt, prior = chosen.nonzero(as_tuple=True)  # (gt, prior) pairs, gt-major
    level, anchor = levels[prior], anchors[prior]
    level_stride = boxes.new_tensor(list(strides))[level]
    grid = torch.tensor(list(feature_sizes), device=boxes.device)[level]  # [M, 2] (h, w)
    centre = 0.5 * (boxes[gt, :2] + boxes[gt, 2:]) / level_stride[:, None]
    col = centre[:, 0].floor().long().clamp(min=0).minimum(grid[:, 1] - 1)
    row = centre[:, 1].floor().long().clamp(min=0).minimum(grid[:, 0] - 1)
    num_priors = torch.tensor([p.shape[0] for p in priors_per_level], device=boxes.device)
    slots = offsets[level] + (row * grid[:, 1] + col) * num_priors[level] + anchor
    keep = keep_largest_per_slot(slots, box_area(boxes)[gt])
    matched[slots[keep]] = gt[keep]
    return matched


def yolov3_ignore_mask_per_image(
    pred_boxes: Tensor, gt_boxes: Tensor, matched: Tensor, ignore_thresh: float
) -> Tensor:
    """Unassigned predictions that overlap a ground truth enough not to count as negatives.

    Args:
        pred_boxes: ``Float[T, 4]`` decoded xyxy predictions (detached inside).
        gt_boxes: ``Float[N, 4]`` xyxy ground truths.
        matched: ``Int64[T]`` from :func:`assign_yolov3_per_image`.
        ignore_thresh: IoU above which (strictly) an unassigned prediction is ignored.

    Returns:
        ``Bool[T]``: True where the objectness loss skips the prediction.
    """
    if gt_boxes.numel() == 0:
        return torch.zeros_like(matched, dtype=torch.bool)
    best_iou = box_iou(pred_boxes.detach(), gt_boxes).nan_to_num(0.0).amax(dim=1)  # [T]
    return (best_iou > ignore_thresh) & (matched < 0)
