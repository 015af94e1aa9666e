"""SSD's per-level prediction layers and its MultiBox loss.

Each feature level ``l`` has its own class predictor (``A_l * (K + 1)`` outputs, column 0 is
background) and box predictor (``A_l * 4`` deltas): a 3x3 conv (SSD300) or a depthwise 3x3
conv + BatchNorm + ReLU6 followed by a 1x1 conv (SSDlite's separable predictor).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal, get_args

import torch
from torch import Tensor, nn
from torchvision.ops.misc import Conv2dNormActivation

from detseg.detection.single_stage import flatten_per_level, matched_values
from detseg.detection.ssd_backbones import SSDLITE_NORM, normal_init, xavier_init
from detseg.losses import cross_entropy, smooth_l1_loss
from detseg.ops.box_coder import BoxCoder
from detseg.ops.matching import Matcher, hard_negative_mining

#: plain 3x3 convolutions (SSD300) or depthwise-separable ones (SSDlite)
HeadKind = Literal["conv", "separable"]
HEAD_KINDS: tuple[str, ...] = get_args(HeadKind)


def _predictor(
    in_ch: int, out_ch: int, kind: str, norm_layer: Callable[..., nn.Module]
) -> nn.Module:
    """``Float[B, in_ch, h, w] -> Float[B, out_ch, h, w]``: 3x3 conv or separable predictor."""
    if kind == "conv":
        return nn.Conv2d(in_ch, out_ch, kernel_size=3, padding=1)
    depthwise = Conv2dNormActivation(
        in_ch,
        in_ch,
        kernel_size=3,
        groups=in_ch,
        norm_layer=norm_layer,
        activation_layer=nn.ReLU6,
    )
    return nn.Sequential(depthwise, nn.Conv2d(in_ch, out_ch, kernel_size=1))


class SSDHead(nn.Module):
    """Per-level class and box predictors.

    Args:
        in_channels: Channels of each feature level.
        num_anchors: Default boxes per cell of each level.
        num_classes: Classes *including* background (``K + 1``; column 0 is background).
        kind: ``"conv"`` (3x3 conv, Xavier init) or ``"separable"`` (SSDlite, Normal(0.03)).
        norm_layer: Norm of the separable predictors (BatchNorm eps 1e-3, momentum 0.03).

    State-dict keys: ``cls_logits.<l>.*`` and ``box_deltas.<l>.*`` (SSDlite:
    ``.0.0.weight`` depthwise conv, ``.0.1.*`` its norm, ``.1.{weight,bias}`` the 1x1 conv).

    Raises:
        ValueError: If ``kind`` is unknown or ``in_channels`` and ``num_anchors`` differ in
            length; ``forward`` raises it when the number of levels differs.
    """

    def __init__(
        self,
        in_channels: Sequence[int],
        num_anchors: Sequence[int],
        num_classes: int,
        kind: str = "conv",
        norm_layer: Callable[..., nn.Module] = SSDLITE_NORM,
    ) -> None:
        super().__init__()
        if kind not in HEAD_KINDS:
            raise ValueError(f"head={kind!r} is not one of {HEAD_KINDS}")
        if len(in_channels) != len(num_anchors):
            raise ValueError(
                f"{len(in_channels)} feature levels but {len(num_anchors)} entries "
                "of default boxes per cell; they must match"
            )
        self.num_classes = num_classes
        pairs = list(zip(in_channels, num_anchors, strict=True))
        self.cls_logits = nn.ModuleList(
            _predictor(c, a * num_classes, kind, norm_layer) for c, a in pairs
        )
        self.box_deltas = nn.ModuleList(_predictor(c, a * 4, kind, norm_layer) for c, a in pairs)
        init = xavier_init if kind == "conv" else normal_init
        init(self)

    def forward(self, features: list[Tensor]) -> dict[str, Tensor]:
        """Predict on every level.

        Args:
            features: ``Float[B, C_l, h_l, w_l]`` per level.

        Returns:
            ``cls_logits`` ``Float[B, A_total, K + 1]`` and ``box_deltas``
            ``Float[B, A_total, 4]``, rows ordered level -> y -> x -> default box.
        """
        if len(features) != len(self.cls_logits):
            raise ValueError(f"SSDHead has {len(self.cls_logits)} levels, got {len(features)}")
        cls_maps = [layer(x) for layer, x in zip(self.cls_logits, features, strict=True)]
        box_maps = [layer(x) for layer, x in zip(self.box_deltas, features, strict=True)]
        return {
            "cls_logits": flatten_per_level(cls_maps, self.num_classes),
            "box_deltas": flatten_per_level(box_maps, 4),
        }


class SSDMatcher:
    """SSD's matching: IoU ``>= threshold`` is foreground, and every gt also takes the one
    default box that overlaps it best (that box gets this gt's index, whatever its own best
    gt is). Unlike :class:`Matcher`'s low-quality rule, ties give a gt only one box.

    Args:
        threshold: IoU threshold (0.5 in the paper).
    """

    def __init__(self, threshold: float = 0.5) -> None:
        self.matcher = Matcher(threshold, threshold)

    def __call__(self, iou: Tensor, gt_valid: Tensor | None = None) -> Tensor:
        """``iou [num_gt, num_boxes]`` (or ``[B, num_gt, num_boxes]`` with ``gt_valid``
        ``Bool[B, num_gt]`` marking the real gts) ``-> Int64[(B,) num_boxes]`` gt index or
        ``-1``. No host synchronisation."""
        if iou.dim() == 2:
            valid = None if gt_valid is None else gt_valid[None]
            return self(iou[None], valid)[0]
        matches = self.matcher(iou, gt_valid)
        batch, num_gt, num_boxes = iou.shape
        if num_gt == 0 or num_boxes == 0:
            return matches
        best_box = iou.max(dim=2).indices  # [B, num_gt]
        if gt_valid is not None:  # padding gts write into an extra column, dropped after
            best_box = best_box.where(gt_valid, num_boxes)
        gt_index = torch.arange(num_gt, device=iou.device).expand(batch, num_gt)
        extended = torch.cat([matches, matches.new_zeros((batch, 1))], dim=1)
        return extended.scatter_(1, best_box, gt_index)[:, :num_boxes]


def multibox_loss(
    outputs: dict[str, Tensor],
    anchors: Tensor,
    matched: Tensor,
    targets: list[dict[str, Tensor]],
    box_coder: BoxCoder,
    neg_pos_ratio: float = 3.0,
    smooth_l1_beta: float = 1.0,
) -> dict[str, Tensor]:
    """SSD's MultiBox loss, normalised by the number of positives ``P`` of the whole batch.

    ``loss_box = sum smooth_l1(deltas, encoded gt) / max(1, P)`` over positives;
    ``loss_cls = (CE of positives + CE of the mined negatives) / max(1, P)`` where each image
    keeps its ``neg_pos_ratio * P_b`` highest-loss negatives (none without positives).

    Args:
        outputs: ``cls_logits`` ``Float[B, A, K + 1]`` and ``box_deltas`` ``Float[B, A, 4]``.
        anchors: ``Float[A, 4]`` xyxy default boxes (batch-tensor pixels).
        matched: Int64 ``[B, A]`` gt index or negative.
        targets: Per image ``boxes`` ``Float[N, 4]`` xyxy and ``labels`` ``Int64[N]``.
        box_coder: Encodes the targets (weights ``(10, 10, 5, 5)`` in SSD).
        neg_pos_ratio: Mined negatives per positive.
        smooth_l1_beta: Smooth-L1 transition point.

    Returns:
        ``{"loss_cls", "loss_box"}`` scalars; ``loss_box`` is exactly 0 without positives.
    """
    logits, deltas = outputs["cls_logits"], outputs["box_deltas"]
    foreground = matched >= 0  # [B, A]
    labels = torch.where(foreground, matched_values(targets, matched, "labels"), 0)
    # every anchor at once, the background ones masked out (no host sync); they get their own
    # box as target, so that every value stays finite
    all_anchors = anchors.expand(*matched.shape, 4)
    matched_boxes = matched_values(targets, matched, "boxes")  # [B, A, 4]
    gt_boxes = torch.where(foreground[..., None], matched_boxes, all_anchors)
    target_deltas = box_coder.encode(gt_boxes.reshape(-1, 4), all_anchors.reshape(-1, 4))
    box_loss = smooth_l1_loss(deltas.reshape(-1, 4), target_deltas, smooth_l1_beta, "none")
    box_sum = torch.where(foreground.reshape(-1, 1), box_loss, 0.0).sum()
    num_classes = logits.shape[-1]
    ce = cross_entropy(logits.reshape(-1, num_classes), labels.reshape(-1), reduction="none")
    ce = ce.view(labels.shape)  # [B, A]
    negatives = hard_negative_mining(ce, foreground, neg_pos_ratio)
    num_pos = foreground.sum().clamp(min=1)
    return {
        "loss_cls": torch.where(foreground | negatives, ce, 0.0).sum() / num_pos,
        "loss_box": box_sum / num_pos,
    }
