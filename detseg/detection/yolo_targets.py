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

**Batched form.** The assignment runs on the whole batch at once, so that a GPU training step
never waits for the device: the ground truths of the ``B`` images are padded to
``Float[B, N, 4]`` with a ``Bool[B, N]`` mask of the real rows
(:func:`~detseg.ops.padding.pad_rows`), and every shape depends only on ``B``, ``N``, the grid
and the priors, never on tensor values. Where the per-image form selected (ground truth,
prior) pairs with ``nonzero``, the batched form keeps a ``Bool[B, N, P]`` mask of the chosen
pairs; where it wrote the winners of each slot with boolean indexing, it scatters every pair
into a dense ``[B, num_slots + 1]`` tensor, the pairs that do not win going to the extra last
slot, which is then dropped. Winners are the same as the per-image form's (largest box, then
the first), so the targets are exactly equal. The ``*_per_image`` functions are the batched
ones on a batch of one image.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import Tensor

from detseg.ops.boxes import batched_box_iou, box_area
from detseg.ops.padding import pad_rows
from detseg.ops.yolo_priors import encode_yolov1_boxes, paired_box_iou, wh_iou


def keep_largest_per_slot(slots: Tensor, areas: Tensor, valid: Tensor | None = None) -> Tensor:
    """Keep one ground truth per slot (cell / prior): the largest, then the first.

    Every leading dimension is a batch dimension: the ``N`` ground truths of one row compete
    only with each other.

    Args:
        slots: ``Int64[..., N]`` slot index of each ground truth.
        areas: ``Float[..., N]`` box areas.
        valid: ``Bool[..., N]`` the ground truths that take part (padding and pairs that were
            not chosen do not); ``None``: all of them.

    Returns:
        ``Bool[..., N]``: True for the (valid) ground truths that keep their slot.
    """
    index = torch.arange(slots.shape[-1], device=slots.device)
    same = slots[..., :, None] == slots[..., None, :]  # [..., N, N]
    if valid is not None:
        same = same & valid[..., None, :]  # only valid ground truths compete
    beats = (areas[..., None, :] > areas[..., :, None]) | (
        (areas[..., None, :] == areas[..., :, None]) & (index[None, :] < index[:, None])
    )  # beats[..., i, j]: gt j wins over gt i
    keep = ~(same & beats).any(dim=-1)
    return keep if valid is None else keep & valid


def scatter_to_slots(
    values: Tensor, slots: Tensor, keep: Tensor, num_slots: int, fill: float | bool
) -> Tensor:
    """A dense per-slot tensor: ``values[b, i]`` at slot ``slots[b, i]`` where ``keep[b, i]``.

    The rows that are not kept are written to an extra slot ``num_slots``, dropped at the end:
    the scatter index has a fixed shape, with no boolean selection of the kept rows.

    Args:
        values: ``[B, M, ...]`` one row per candidate.
        slots: ``Int64[B, M]`` slot of each candidate, in ``[0, num_slots)``.
        keep: ``Bool[B, M]`` the candidates that are written; kept slots are distinct within
            an image.
        num_slots: slots per image.
        fill: value of the slots that no candidate takes.

    Returns:
        ``[B, num_slots, ...]`` (dtype of ``values``).
    """
    batch_size, num_rows = slots.shape
    index = torch.where(keep, slots, num_slots)
    index = index.view(batch_size, num_rows, *([1] * (values.dim() - 2))).expand_as(values)
    dense = values.new_full((batch_size, num_slots + 1, *values.shape[2:]), fill)
    return dense.scatter_(1, index, values)[:, :num_slots]


def padded_boxes_and_labels(
    targets: Sequence[dict[str, Tensor]], min_width: int = 0
) -> tuple[Tensor, Tensor, Tensor]:
    """The ground truths of a batch as padded tensors (no host read of their values).

    Args:
        targets: per image ``boxes`` ``Float[N_i, 4]`` (xyxy input pixels) and ``labels``
            ``Int64[N_i]``; ``N_i = 0`` allowed.
        min_width: ``N`` is at least this (1: a batch without boxes still has a row to gather).

    Returns:
        ``Float[B, N, 4]`` boxes (zeros after the real rows), ``Int64[B, N]`` labels (0 there)
        and the ``Bool[B, N]`` mask of the real rows, ``N = max(max(N_i), min_width)``.
    """
    boxes, valid = pad_rows([t["boxes"] for t in targets], min_width=min_width)
    labels, _ = pad_rows([t["labels"] for t in targets], min_width=min_width)
    return boxes, labels, valid


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


def yolov1_dense_targets(
    gt_boxes: Tensor,
    gt_labels: Tensor,
    valid: Tensor,
    grid_size: int,
    image_size: tuple[int, int],
) -> YOLOv1Targets:
    """Dense YOLOv1 targets of a padded batch.

    Args:
        gt_boxes: ``Float[B, N, 4]`` xyxy ground truths in input pixels (padded).
        gt_labels: ``Int64[B, N]`` their labels ``1..K``.
        valid: ``Bool[B, N]`` the real rows.
        grid_size: ``S``.
        image_size: ``(H, W)`` of the network input the grid covers.

    Returns:
        The :class:`YOLOv1Targets` of the batch.
    """
    batch_size, num_gt = valid.shape
    s = grid_size
    flat_boxes = gt_boxes.reshape(-1, 4)
    cells, encoded = encode_yolov1_boxes(flat_boxes, s, image_size)  # [B * N, 2], [B * N, 4]
    slots = (cells[:, 0] * s + cells[:, 1]).view(batch_size, num_gt)  # row-major cell index
    keep = keep_largest_per_slot(slots, box_area(flat_boxes).view(batch_size, num_gt), valid)
    encoded = encoded.view(batch_size, num_gt, 4)
    grid, shape = s * s, (batch_size, s, s)
    return YOLOv1Targets(
        object_mask=scatter_to_slots(keep, slots, keep, grid, False).view(shape),
        boxes=scatter_to_slots(gt_boxes, slots, keep, grid, 0.0).view(*shape, 4),
        encoded=scatter_to_slots(encoded, slots, keep, grid, 0.0).view(*shape, 4),
        labels=scatter_to_slots(gt_labels, slots, keep, grid, 0).view(shape),
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
    gt_boxes, gt_labels, valid = padded_boxes_and_labels(targets)
    return yolov1_dense_targets(gt_boxes, gt_labels, valid, grid_size, image_size)


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


def yolov3_prior_slots(
    gt_boxes: Tensor,
    priors_per_level: Sequence[Tensor],
    strides: Sequence[float],
    feature_sizes: Sequence[tuple[int, int]],
) -> tuple[Tensor, int]:
    """The prediction slot of every (ground truth, prior) pair: the prior at the cell of its
    level that contains the ground-truth centre.

    The level constants are Python numbers (static), so no constant tensor is copied to the
    device.

    Args:
        gt_boxes: ``Float[B, N, 4]`` xyxy ground truths in input pixels.
        priors_per_level: ``Float[A_l, 2]`` prior ``(w, h)`` in pixels, per level.
        strides: input pixels per cell, per level.
        feature_sizes: ``(h_l, w_l)`` grid size, per level.

    Returns:
        ``Int64[B, N, P]`` slots over the ``P = sum A_l`` priors (levels in order), indices
        into the ``T = sum h_l * w_l * A_l`` predictions (level -> y -> x -> anchor), and ``T``.
    """
    centre = 0.5 * (gt_boxes[..., :2] + gt_boxes[..., 2:])  # [B, N, 2] (x, y)
    slots, offset = [], 0
    for (height, width), stride, priors in zip(
        feature_sizes, strides, priors_per_level, strict=True
    ):
        num_priors = priors.shape[0]
        cell = (centre / stride).floor().long()  # centres on the far border: the last cell
        col = cell[..., 0].clamp(0, width - 1)
        row = cell[..., 1].clamp(0, height - 1)
        first = offset + (row * width + col) * num_priors  # [B, N], the level's first prior
        slots.append(first[..., None] + torch.arange(num_priors, device=gt_boxes.device))
        offset += height * width * num_priors
    return torch.cat(slots, dim=-1), offset


def assign_yolov3_targets(
    gt_boxes: Tensor,
    valid: Tensor,
    priors_per_level: Sequence[Tensor],
    strides: Sequence[float],
    feature_sizes: Sequence[tuple[int, int]],
    assign_thresh: float | None = None,
) -> Tensor:
    """Assign the ground truths of a padded batch to their prediction slots.

    Two ground truths compete for a slot only when they chose the same prior (a slot is one
    prior at one cell), so the largest-wins rule runs per image and prior over the ``N``
    ground truths.

    Args:
        gt_boxes: ``Float[B, N, 4]`` xyxy ground truths in input pixels (padded).
        valid: ``Bool[B, N]`` the real rows.
        priors_per_level: ``Float[A_l, 2]`` prior ``(w, h)`` in pixels, per level.
        strides: input pixels per cell, per level.
        feature_sizes: ``(h_l, w_l)`` grid size, per level.
        assign_thresh: ``None``: the best-matching prior only (YOLOv3); else also every prior
            whose shape IoU with the ground truth is ``> assign_thresh`` (YOLOv4).

    Returns:
        ``Int64[B, T]`` over the ``T = sum h_l * w_l * A_l`` predictions (level -> y -> x ->
        anchor): the index (row of ``gt_boxes``) of the assigned ground truth, or ``-1``.
    """
    batch_size, num_gt = valid.shape
    sizes = torch.cat(list(priors_per_level))  # [P, 2]
    wh = (gt_boxes[..., 2:] - gt_boxes[..., :2]).reshape(-1, 2)
    shape_iou = wh_iou(wh, sizes).view(batch_size, num_gt, sizes.shape[0])  # [B, N, P]
    best = shape_iou.argmax(dim=-1, keepdim=True)  # the first maximum on ties
    chosen = torch.zeros_like(shape_iou, dtype=torch.bool).scatter_(-1, best, True)
    if assign_thresh is not None:
        chosen |= shape_iou > assign_thresh
    chosen &= valid[..., None]
    slots, total = yolov3_prior_slots(gt_boxes, priors_per_level, strides, feature_sizes)
    areas = box_area(gt_boxes.reshape(-1, 4)).view(batch_size, 1, num_gt)
    # per image and prior: [B, P, N]
    slots, chosen = slots.transpose(1, 2), chosen.transpose(1, 2)
    keep = keep_largest_per_slot(slots, areas.expand_as(slots), chosen)
    gt_index = torch.arange(num_gt, device=gt_boxes.device).expand_as(slots)
    return scatter_to_slots(gt_index.flatten(1), slots.flatten(1), keep.flatten(1), total, -1)


def assign_yolov3_per_image(
    boxes: Tensor,
    priors_per_level: Sequence[Tensor],
    strides: Sequence[float],
    feature_sizes: Sequence[tuple[int, int]],
    assign_thresh: float | None = None,
) -> Tensor:
    """:func:`assign_yolov3_targets` of one image.

    Args:
        boxes: ``Float[N, 4]`` xyxy ground truths in input pixels.
        priors_per_level, strides, feature_sizes, assign_thresh: as
            :func:`assign_yolov3_targets`.

    Returns:
        ``Int64[T]``: the index of the assigned ground truth of each prediction, or ``-1``.
    """
    valid = torch.ones(1, boxes.shape[0], dtype=torch.bool, device=boxes.device)
    return assign_yolov3_targets(
        boxes[None], valid, priors_per_level, strides, feature_sizes, assign_thresh
    )[0]


def yolov3_ignore_mask(
    pred_boxes: Tensor, gt_boxes: Tensor, valid: Tensor, matched: Tensor, ignore_thresh: float
) -> Tensor:
    """Unassigned predictions that overlap a ground truth enough not to count as negatives.

    Args:
        pred_boxes: ``Float[B, T, 4]`` decoded xyxy predictions (detached inside).
        gt_boxes: ``Float[B, N, 4]`` xyxy ground truths (padded).
        valid: ``Bool[B, N]`` the real rows of ``gt_boxes``.
        matched: ``Int64[B, T]`` from :func:`assign_yolov3_targets`.
        ignore_thresh: IoU above which (strictly) an unassigned prediction is ignored.

    Returns:
        ``Bool[B, T]``: True where the objectness loss skips the prediction.
    """
    if gt_boxes.shape[1] == 0:  # no ground truth in the whole batch (a static shape)
        return torch.zeros_like(matched, dtype=torch.bool)
    iou = batched_box_iou(pred_boxes.detach(), gt_boxes).nan_to_num(0.0)  # [B, T, N]
    iou = torch.where(valid[:, None, :], iou, 0.0)  # padding overlaps nothing
    return (iou.amax(dim=-1) > ignore_thresh) & (matched < 0)


def yolov3_ignore_mask_per_image(
    pred_boxes: Tensor, gt_boxes: Tensor, matched: Tensor, ignore_thresh: float
) -> Tensor:
    """:func:`yolov3_ignore_mask` of one image.

    Args:
        pred_boxes: ``Float[T, 4]`` decoded xyxy predictions (detached inside).
        gt_boxes: ``Float[N, 4]`` xyxy ground truths.
        matched: ``Int64[T]`` from :func:`assign_yolov3_per_image`.
        ignore_thresh: IoU above which (strictly) an unassigned prediction is ignored.

    Returns:
        ``Bool[T]``: True where the objectness loss skips the prediction.
    """
    valid = torch.ones(1, gt_boxes.shape[0], dtype=torch.bool, device=gt_boxes.device)
    return yolov3_ignore_mask(
        pred_boxes[None], gt_boxes[None], valid, matched[None], ignore_thresh
    )[0]
