"""Losses shared by the detection and segmentation heads: pure functions on tensors.

Each function states its normalisation. Detection losses default to ``reduction="sum"``
and leave the division (by the number of sampled anchors, of positives, ...) to the head,
which knows the right count. An empty input gives ``pred.sum() * 0``: an exact zero that
stays in the autograd graph, so an image without objects trains like any other.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

REDUCTIONS = ("none", "sum", "mean")


def _check_reduction(reduction: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not supported; use one of {REDUCTIONS}")


def _reduce(loss: Tensor, reduction: str, pred: Tensor) -> Tensor:
    """Apply ``reduction`` to an element-wise loss; empty input -> ``pred.sum() * 0``."""
    if reduction == "none":
        return loss
    if loss.numel() == 0:
        return pred.sum() * 0
    return loss.sum() if reduction == "sum" else loss.mean()


def _check_same_shape(pred: Tensor, target: Tensor, names: str) -> None:
    if pred.shape != target.shape:
        raise ValueError(
            f"{names} must have the same shape, got {tuple(pred.shape)} and {tuple(target.shape)}"
        )


def smooth_l1_loss(
    pred: Tensor, target: Tensor, beta: float = 1 / 9, reduction: str = "sum"
) -> Tensor:
    """Huber-like box regression loss (Fast R-CNN).

    Element-wise, with ``d = |pred - target|``: ``0.5 * d**2 / beta`` if ``d < beta``, else
    ``d - 0.5 * beta``. ``beta = 0`` gives the plain L1 loss.

    Args:
        pred: Float ``[...]`` predictions (e.g. ``[P, 4]`` deltas of the positives).
        target: Float tensor of the same shape.
        beta: Width of the quadratic zone, ``>= 0``.
        reduction: ``"sum"`` (default; the caller divides, e.g. by the number of sampled
            anchors), ``"mean"`` (over all elements) or ``"none"``.

    Returns:
        A scalar, or the element-wise loss for ``"none"``.
    """
    _check_reduction(reduction)
    _check_same_shape(pred, target, "pred and target")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    diff = torch.abs(pred - target)
    if beta == 0:
        loss = diff
    else:
        loss = torch.where(diff < beta, 0.5 * diff * diff / beta, diff - 0.5 * beta)
    return _reduce(loss, reduction, pred)


def cross_entropy(
    logits: Tensor, target: Tensor, ignore_index: int = -100, reduction: str = "mean"
) -> Tensor:
    """Softmax cross-entropy with ignored targets.

    Args:
        logits: Float ``[N, C]`` or ``[B, C, H, W]`` unnormalised scores.
        target: Int64 ``[N]`` or ``[B, H, W]`` class indices in ``[0, C)`` or
            ``ignore_index``.
        ignore_index: Target value that contributes nothing (nor to the mean's count).
        reduction: ``"mean"`` (default: over the non-ignored targets; zero when all are
            ignored), ``"sum"`` or ``"none"``.

    Returns:
        A scalar, or the element-wise loss (0 at ignored targets) for ``"none"``.
    """
    _check_reduction(reduction)
    if logits.dim() < 2 or target.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits must be [N, C] or [B, C, H, W] and target [N] or [B, H, W], got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}"
        )
    loss = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="none")
    if reduction != "mean" or loss.numel() == 0:
        return _reduce(loss, reduction, logits)
    num_valid = (target != ignore_index).sum().clamp(min=1)
    return loss.sum() / num_valid


def sigmoid_focal_loss(
    logits: Tensor,
    targets: Tensor,
    alpha: float = 0.25,
    gamma: float = 2.0,
    reduction: str = "sum",
) -> Tensor:
    """Focal loss on independent sigmoids (RetinaNet).

    Element-wise ``alpha_t * (1 - p_t)**gamma * BCE(logits, targets)`` with
    ``p_t = p if target == 1 else 1 - p`` and ``alpha_t = alpha if target == 1 else
    1 - alpha``; ``alpha < 0`` turns the weighting off.

    Args:
        logits: Float ``[...]`` scores, e.g. ``[A, K]`` anchors x classes.
        targets: Float tensor of the same shape with values in ``[0, 1]`` (one-hot).
        alpha: Weight of the positives in ``[0, 1]``, or ``-1`` for none.
        gamma: Focusing exponent, ``>= 0``.
        reduction: ``"sum"`` (default; RetinaNet divides by the number of positive
            anchors), ``"mean"`` or ``"none"``.

    Returns:
        A scalar, or the element-wise loss for ``"none"``.
    """
    _check_reduction(reduction)
    _check_same_shape(logits, targets, "logits and targets")
    if not (0 <= alpha <= 1 or alpha < 0) or gamma < 0:
        raise ValueError(
            f"need alpha in [0, 1] (or < 0 to disable) and gamma >= 0, got {alpha}, {gamma}"
        )
    targets = targets.to(logits.dtype)
    p = torch.sigmoid(logits)
    bce = F.binary_cross_entropy_with_logits(logits, targets, reduction="none")
    p_t = p * targets + (1 - p) * (1 - targets)
    loss = bce * ((1 - p_t) ** gamma)
    if alpha >= 0:
        loss = (alpha * targets + (1 - alpha) * (1 - targets)) * loss
    return _reduce(loss, reduction, logits)


def giou_loss(
    pred_boxes: Tensor, target_boxes: Tensor, reduction: str = "sum", eps: float = 1e-7
) -> Tensor:
    """``1 - GIoU`` between paired boxes (row ``i`` of each), in ``[0, 2]``.

    Args:
        pred_boxes: Float ``[N, 4]`` xyxy predicted boxes.
        target_boxes: Float ``[N, 4]`` xyxy target boxes.
        reduction: ``"sum"`` (default; the caller divides, e.g. by the number of positives),
            ``"mean"`` or ``"none"``.
        eps: Added to the union and enclosing areas against division by zero.

    Returns:
        A scalar, or ``[N]`` for ``"none"``.
    """
    _check_reduction(reduction)
    _check_same_shape(pred_boxes, target_boxes, "pred_boxes and target_boxes")
    if pred_boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be [N, 4] xyxy, got {tuple(pred_boxes.shape)}")
    x1, y1, x2, y2 = pred_boxes.unbind(-1)
    u1, v1, u2, v2 = target_boxes.unbind(-1)
    inter_w = (torch.min(x2, u2) - torch.max(x1, u1)).clamp(min=0)
    inter_h = (torch.min(y2, v2) - torch.max(y1, v1)).clamp(min=0)
    inter = inter_w * inter_h
    union = (x2 - x1) * (y2 - y1) + (u2 - u1) * (v2 - v1) - inter
    enclosing = (torch.max(x2, u2) - torch.min(x1, u1)) * (torch.max(y2, v2) - torch.min(y1, v1))
    giou = inter / (union + eps) - (enclosing - union) / (enclosing + eps)
    return _reduce(1 - giou, reduction, pred_boxes)


def dice_loss(
    logits: Tensor, target: Tensor, ignore_index: int = 255, smooth: float = 1.0
) -> Tensor:
    """Multi-class soft Dice loss on softmax probabilities.

    Per class ``c``, over all non-ignored pixels of the batch:
    ``dice_c = (2 * sum(p_c * t_c) + smooth) / (sum(p_c) + sum(t_c) + smooth)``; the loss is
    ``1 - mean_c dice_c`` (a class absent from both prediction and target scores 1).

    Args:
        logits: Float ``[B, C, H, W]`` scores (C includes background).
        target: Int64 ``[B, H, W]`` class indices in ``[0, C)`` or ``ignore_index``.
        ignore_index: Pixels with this value are left out.
        smooth: Added to numerator and denominator.

    Returns:
        A scalar in ``[0, 1]``; ``logits.sum() * 0`` when there is no pixel at all.
    """
    if logits.dim() != 4 or target.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits must be [B, C, H, W] and target [B, H, W], got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}"
        )
    if target.numel() == 0:
        return logits.sum() * 0
    num_classes = logits.shape[1]
    valid = (target != ignore_index).unsqueeze(1)  # [B, 1, H, W]
    labels = torch.where(valid.squeeze(1), target, torch.zeros_like(target))
    one_hot = F.one_hot(labels, num_classes).permute(0, 3, 1, 2) * valid  # [B, C, H, W]
    probs = logits.softmax(dim=1) * valid
    one_hot = one_hot.to(probs.dtype)
    inter = (probs * one_hot).sum(dim=(0, 2, 3))  # [C]
    denom = probs.sum(dim=(0, 2, 3)) + one_hot.sum(dim=(0, 2, 3))
    dice = (2 * inter + smooth) / (denom + smooth)
    return 1 - dice.mean()
