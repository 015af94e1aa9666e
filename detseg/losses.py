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

from detseg.ops.padding import host_reads_are_free

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


def _float32_or_wider(t: Tensor) -> Tensor:
    """``t`` as float32 unless it is float32 or float64 (``torchvision.ops``' upcast)."""
    return t if t.dtype in (torch.float32, torch.float64) else t.float()


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

    Raises:
        ValueError: If ``reduction`` is unknown, the shapes differ or ``beta < 0``.
    """
    _check_reduction(reduction)
    _check_same_shape(pred, target, "pred and target")
    if beta < 0:
        raise ValueError(f"beta must be >= 0, got {beta}")
    if reduction != "none" and pred.numel() == 0:
        return _reduce(pred, reduction, pred)
    # torch's kernel with its reduction (torchvision's detection heads call it): float16 and
    # bfloat16 are computed in float32 and rounded once, where the same formula in tensor ops
    # (or a separate .mean()) would round at every step, in forward and in backward
    return F.smooth_l1_loss(pred, target, reduction=reduction, beta=beta)


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

    Raises:
        ValueError: If ``reduction`` is unknown or the shapes do not fit.
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


def label_boundaries(target: Tensor, ignore_index: int = 255) -> Tensor:
    """Pixels on a border between two labels: ``Bool[B, H, W]`` for ``target`` ``Int64[B, H, W]``.

    A pixel is on a border when one of its 4 neighbours has another label; both sides of the
    border count, so a border is two pixels wide. Ignored pixels are never on a border, and a
    neighbour with ``ignore_index`` does not make one.

    Raises:
        ValueError: If ``target`` is not 3-D.
    """
    if target.dim() != 3:
        raise ValueError(f"target must be [B, H, W], got {tuple(target.shape)}")
    valid = target != ignore_index
    border = torch.zeros_like(valid)
    for dim in (1, 2):  # rows, then columns
        n = target.shape[dim]
        first, second = target.narrow(dim, 0, n - 1), target.narrow(dim, 1, n - 1)
        both = valid.narrow(dim, 0, n - 1) & valid.narrow(dim, 1, n - 1)
        differs = (first != second) & both  # between pixel i and i + 1 along dim
        border.narrow(dim, 0, n - 1).logical_or_(differs)
        border.narrow(dim, 1, n - 1).logical_or_(differs)
    return border


def boundary_weighted_cross_entropy(
    logits: Tensor, target: Tensor, boundary_weight: float, ignore_index: int = 255
) -> Tensor:
    """Cross-entropy where pixels on a label border weigh ``boundary_weight`` times the others.

    The U-Net paper (Ronneberger et al., 2015) weights the loss so that the network learns
    the borders; this is the simple form: weight ``w = boundary_weight`` on the pixels of
    :func:`label_boundaries`, 1 elsewhere, and the loss is ``sum(w * ce) / sum(w)`` over the
    non-ignored pixels (a weighted mean, so its scale stays that of :func:`cross_entropy`).
    ``boundary_weight = 1`` is exactly ``cross_entropy(..., reduction="mean")``.

    Args:
        logits: Float ``[B, C, H, W]``.
        target: Int64 ``[B, H, W]`` in ``[0, C)`` or ``ignore_index``.
        boundary_weight: weight of the border pixels (``> 0``; 3 to 5 emphasises them).
        ignore_index: target value left out.

    Returns:
        A scalar; ``logits.sum() * 0`` when every pixel is ignored.

    Raises:
        ValueError: If ``boundary_weight <= 0`` or the shapes do not fit.
    """
    if boundary_weight <= 0:
        raise ValueError(f"boundary_weight must be > 0, got {boundary_weight}")
    if logits.dim() != 4 or target.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits must be [B, C, H, W] and target [B, H, W], got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}"
        )
    pixel_loss = F.cross_entropy(logits, target, ignore_index=ignore_index, reduction="none")
    valid = (target != ignore_index).to(pixel_loss.dtype)
    border = label_boundaries(target, ignore_index).to(pixel_loss.dtype)
    weights = valid * (1 + (boundary_weight - 1) * border)
    return _weighted_mean(pixel_loss, weights)


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
        alpha: Weight of the positives in ``[0, 1]``, or negative (e.g. ``-1``) for none.
        gamma: Focusing exponent, ``>= 0``.
        reduction: ``"sum"`` (default; RetinaNet divides by the number of positive
            anchors), ``"mean"`` or ``"none"``.

    Returns:
        A scalar, or the element-wise loss for ``"none"``.

    Raises:
        ValueError: If ``reduction`` is unknown, the shapes differ, ``alpha > 1`` or
            ``gamma < 0``.
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
        pred_boxes: Float ``[N, 4]`` xyxy predicted boxes (any frame, the same for both).
        target_boxes: Float ``[N, 4]`` xyxy target boxes.
        reduction: ``"sum"`` (default; the caller divides, e.g. by the number of positives),
            ``"mean"`` or ``"none"``.
        eps: Added to the union and enclosing areas against division by zero.

    Returns:
        A scalar, or ``Float[N]`` for ``"none"``; float32 for float16, bfloat16 or integer
        boxes (as ``torchvision.ops.generalized_box_iou_loss``).

    Raises:
        ValueError: If ``reduction`` is unknown, the shapes differ or are not ``[..., 4]``.
    """
    _check_reduction(reduction)
    _check_same_shape(pred_boxes, target_boxes, "pred_boxes and target_boxes")
    if pred_boxes.shape[-1] != 4:
        raise ValueError(f"boxes must be [N, 4] xyxy, got {tuple(pred_boxes.shape)}")
    # torchvision's upcast: a float16 area overflows from 256 x 256 pixels (65504 is the
    # largest float16), so float16/bfloat16 (and integer) boxes are computed in float32
    pred_boxes, target_boxes = _float32_or_wider(pred_boxes), _float32_or_wider(target_boxes)
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

    Raises:
        ValueError: If ``logits`` is not 4-D, ``target`` not an integer ``[B, H, W]``, or
            (for a CPU ``target`` only) a label is outside ``[0, C)`` and not
            ``ignore_index``. The label range is read on the host, so on a GPU (and under
            ``torch.compile``) it is not checked, to keep the step free of host syncs; there
            such a label counts as no class, and the datasets check the label maps they read.
    """
    if logits.dim() != 4 or target.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits must be [B, C, H, W] and target [B, H, W], got "
            f"{tuple(logits.shape)} and {tuple(target.shape)}"
        )
    if target.is_floating_point() or target.dtype == torch.bool:
        raise ValueError(
            f"dice_loss: target must hold integer class indices (Int64), got {target.dtype}; "
            "round or cast the label map with .long() first"
        )
    if target.numel() == 0:
        return logits.sum() * 0
    if host_reads_are_free(target.device) and not torch.compiler.is_compiling():
        _check_labels(target, logits.shape[1], ignore_index)
    valid = target != ignore_index  # [B, H, W]
    classes = torch.arange(logits.shape[1], device=target.device).view(1, -1, 1, 1)
    # one-hot by comparison: F.one_hot reads the labels' range back to the host on a CPU
    one_hot = (target.unsqueeze(1) == classes).to(logits.dtype)  # ignored pixels: all zero
    return soft_dice_loss(logits, one_hot, valid.to(logits.dtype), smooth)


def _check_labels(target: Tensor, num_classes: int, ignore_index: int) -> None:
    """Raise ``ValueError`` if ``target`` (any shape) holds a label outside ``[0, C)``.

    ``ignore_index`` is allowed. Reads the values on the host: call it on CPU tensors only.
    """
    bad = (target != ignore_index) & ((target < 0) | (target >= num_classes))
    if not bool(bad.any()):
        return
    values = target[bad]
    raise ValueError(
        f"dice_loss: target has labels outside 0..{num_classes - 1} (C={num_classes} classes "
        f"in the logits): largest {int(values.max())}, smallest {int(values.min())}, "
        f"and ignore_index={ignore_index}; remap them or pass their value as ignore_index"
    )


def soft_cross_entropy(
    logits: Tensor, target_probs: Tensor, weights: Tensor, boundary_weight: float = 1.0
) -> Tensor:
    """Cross-entropy against class *fractions* (soft targets), a weighted mean over pixels.

    Per pixel ``ce = -sum_c t_c * log_softmax(logits)_c``; the loss is
    ``sum(w * ce) / sum(w)``. With one-hot targets and 0/1 weights it is exactly
    :func:`cross_entropy` with ignored pixels. Used when masks are area-downsampled to a
    coarse head (each target pixel holds the share of each class in the pixels it covers).

    Args:
        logits: Float ``[B, C, H, W]``.
        target_probs: Float ``[B, C, H, W]``, each pixel's fractions summing to 1 (any values
            where ``weights`` is 0).
        weights: Float ``[B, H, W]`` >= 0, e.g. the share of non-ignored pixels a target
            pixel covers.
        boundary_weight: pixels whose target is mixed (no class has all of it) weigh this
            times more: the soft analogue of :func:`boundary_weighted_cross_entropy`.

    Returns:
        A scalar; ``logits.sum() * 0`` when the weights are all 0.

    Raises:
        ValueError: If the shapes do not fit or ``boundary_weight <= 0``.
    """
    if logits.shape != target_probs.shape or weights.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits and target_probs must be [B, C, H, W] and weights [B, H, W], got "
            f"{tuple(logits.shape)}, {tuple(target_probs.shape)} and {tuple(weights.shape)}"
        )
    if boundary_weight <= 0:
        raise ValueError(f"boundary_weight must be > 0, got {boundary_weight}")
    pixel_loss = -(target_probs * logits.log_softmax(dim=1)).sum(dim=1)  # [B, H, W]
    if boundary_weight != 1.0:
        mixed = target_probs.amax(dim=1) < 1 - 1e-6
        weights = weights * (1 + (boundary_weight - 1) * mixed.to(weights.dtype))
    return _weighted_mean(pixel_loss, weights)


def _weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """``sum(w * v) / sum(w)``, and 0 (still attached to ``values``) when every weight is 0.

    The zero case needs no host read: with all weights 0 the numerator is exactly 0, and the
    denominator is clamped to the smallest positive float, so the division gives 0 (and a zero
    gradient) instead of NaN. A positive ``sum(w)`` is never that small, so it is unchanged.
    """
    total = weights.sum()
    return (values * weights).sum() / total.clamp(min=torch.finfo(total.dtype).tiny)


def soft_dice_loss(
    logits: Tensor, target_probs: Tensor, weights: Tensor, smooth: float = 1.0
) -> Tensor:
    """:func:`dice_loss` against class fractions: ``t_c`` replaces the one-hot target.

    Per class over the batch: ``dice_c = (2 * sum(w p_c t_c) + smooth) / (sum(w p_c) +
    sum(w t_c) + smooth)``, the loss ``1 - mean_c dice_c``. With one-hot targets and 0/1
    weights it equals :func:`dice_loss`.

    Args:
        logits: Float ``[B, C, H, W]``.
        target_probs: Float ``[B, C, H, W]`` class fractions of each pixel.
        weights: Float ``[B, H, W]`` >= 0 per-pixel weights.
        smooth: Added to numerator and denominator.

    Returns:
        A scalar in ``[0, 1]``; ``logits.sum() * 0`` when ``logits`` is empty.

    Raises:
        ValueError: If the shapes do not fit.
    """
    if logits.shape != target_probs.shape or weights.shape != logits.shape[:1] + logits.shape[2:]:
        raise ValueError(
            "logits and target_probs must be [B, C, H, W] and weights [B, H, W], got "
            f"{tuple(logits.shape)}, {tuple(target_probs.shape)} and {tuple(weights.shape)}"
        )
    if logits.numel() == 0:
        return logits.sum() * 0
    w = weights.unsqueeze(1)
    probs = logits.softmax(dim=1) * w  # w * p_c
    inter = (probs * target_probs).sum(dim=(0, 2, 3))  # [C]
    denom = probs.sum(dim=(0, 2, 3)) + (target_probs * w).sum(dim=(0, 2, 3))
    dice = (2 * inter + smooth) / (denom + smooth)
    return 1 - dice.mean()
