"""RetinaNet's head (Lin et al. 2017, "Focal Loss for Dense Object Detection") and its losses.

Two subnets run on every pyramid level with shared weights: a classification subnet
(4 conv3x3 + ReLU, then ``A * K`` sigmoid logits) and a box subnet (4 conv3x3 + ReLU, then
``A * 4`` deltas). The improved variant puts a GroupNorm(32) after each conv.
"""

from __future__ import annotations

import math
from typing import Literal, get_args

import torch
from torch import Tensor, nn

from detseg.detection.single_stage import flatten_per_level, matched_values
from detseg.losses import giou_loss, sigmoid_focal_loss, smooth_l1_loss
from detseg.ops.box_coder import BoxCoder
from detseg.ops.matching import Matcher

BoxLossName = Literal["smooth_l1", "l1", "giou"]
BOX_LOSSES: tuple[str, ...] = get_args(BoxLossName)
#: GroupNorm in the subnets (the v2 model), else none
HeadNormName = Literal["group"]
HEAD_NORMS: tuple[str | None, ...] = (None, *get_args(HeadNormName))


def _conv_block(channels: int, norm: str | None) -> nn.Sequential:
    """``conv3x3 [-> GroupNorm(32)] -> ReLU``; the conv has a bias only without norm."""
    conv = nn.Conv2d(channels, channels, 3, padding=1, bias=norm is None)
    nn.init.normal_(conv.weight, std=0.01)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    layers: list[nn.Module] = [conv]
    if norm == "group":
        layers.append(nn.GroupNorm(32, channels))
    layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class RetinaNetHead(nn.Module):
    """Classification and box subnets shared across pyramid levels.

    Args:
        in_channels: Channels of every pyramid level.
        num_anchors: Anchors per cell ``A`` (the same on every level).
        num_classes: Foreground classes ``K`` (logit ``k - 1`` scores label ``k``).
        num_convs: Convs in each subnet before its output layer.
        norm: ``None`` or ``"group"`` (GroupNorm with 32 groups after each conv).
        prior_probability: Initial foreground probability of every logit (bias init).

    State-dict keys: ``cls_convs.<i>.0.weight`` (``.bias`` without norm, ``.1.*`` the
    GroupNorm), ``cls_logits.{weight,bias}``, ``box_convs.<i>...``, ``box_deltas.*``.

    Raises:
        ValueError: If ``norm`` is not ``None`` or ``"group"``, or ``num_convs < 0``.
    """

    def __init__(
        self,
        in_channels: int,
        num_anchors: int,
        num_classes: int,
        num_convs: int = 4,
        norm: str | None = None,
        prior_probability: float = 0.01,
    ) -> None:
        super().__init__()
        if norm not in HEAD_NORMS:
            raise ValueError(f"head_norm={norm!r} is not one of {HEAD_NORMS}")
        if num_convs < 0:
            raise ValueError(f"head_convs={num_convs} must be >= 0")
        self.num_classes = num_classes
        self.cls_convs = nn.Sequential(*(_conv_block(in_channels, norm) for _ in range(num_convs)))
        self.box_convs = nn.Sequential(*(_conv_block(in_channels, norm) for _ in range(num_convs)))
        self.cls_logits = nn.Conv2d(in_channels, num_anchors * num_classes, 3, padding=1)
        self.box_deltas = nn.Conv2d(in_channels, num_anchors * 4, 3, padding=1)
        prior_logit = -math.log((1 - prior_probability) / prior_probability)
        for conv, bias in ((self.cls_logits, prior_logit), (self.box_deltas, 0.0)):
            nn.init.normal_(conv.weight, std=0.01)
            assert conv.bias is not None  # nn.Conv2d's default bias=True
            nn.init.constant_(conv.bias, bias)

    def forward(self, features: list[Tensor]) -> dict[str, Tensor]:
        """Run both subnets on every level.

        Args:
            features: ``Float[B, C, h_l, w_l]`` per level.

        Returns:
            ``cls_logits`` ``Float[B, A_total, K]`` and ``box_deltas`` ``Float[B, A_total, 4]``,
            rows ordered level -> y -> x -> anchor.
        """
        cls_maps = [self.cls_logits(self.cls_convs(x)) for x in features]
        box_maps = [self.box_deltas(self.box_convs(x)) for x in features]
        return {
            "cls_logits": flatten_per_level(cls_maps, self.num_classes),
            "box_deltas": flatten_per_level(box_maps, 4),
        }


def retinanet_cls_loss(
    cls_logits: Tensor,
    matched: Tensor,
    targets: list[dict[str, Tensor]],
    alpha: float = 0.25,
    gamma: float = 2.0,
) -> Tensor:
    """Sigmoid focal loss, per image normalised by its foreground count, averaged over images.

    Anchors between the IoU thresholds (``Matcher.BETWEEN_THRESHOLDS``) are ignored; every
    other anchor is a negative for every class except its matched gt's class.
    Image ``b`` contributes ``sum(focal) / max(1, num_foreground_b)``.

    Args:
        cls_logits: ``Float[B, A, K]`` logits (column ``k - 1`` is label ``k``).
        matched: Int64 ``[B, A]`` matcher output.
        targets: Per image ``labels`` ``Int64[N]`` in ``1..K``.
        alpha: Focal weight of the positives. gamma: Focusing exponent.

    Returns:
        Scalar loss.
    """
    foreground = matched >= 0  # [B, A]
    columns = (matched_values(targets, matched, "labels") - 1).clamp(min=0)  # [B, A]
    one_hot = torch.zeros_like(cls_logits).scatter_(
        2, columns[..., None], foreground[..., None].to(cls_logits.dtype)
    )
    valid = (matched != Matcher.BETWEEN_THRESHOLDS).to(cls_logits.dtype)  # [B, A]
    loss = sigmoid_focal_loss(cls_logits, one_hot, alpha, gamma, reduction="none").sum(-1)
    per_image = (loss * valid).sum(1)  # [B]
    return (per_image / foreground.sum(1).clamp(min=1)).mean()


def retinanet_box_loss(
    box_deltas: Tensor,
    anchors: Tensor,
    matched: Tensor,
    targets: list[dict[str, Tensor]],
    box_coder: BoxCoder,
    kind: str = "l1",
    beta: float = 1 / 9,
) -> Tensor:
    """Box loss of the foreground anchors, per image normalised by its foreground count,
    averaged over images (an image without foreground contributes exactly 0).

    Args:
        box_deltas: ``Float[B, A, 4]`` predicted deltas.
        anchors: ``Float[A, 4]`` xyxy anchors (batch-tensor pixels).
        matched: Int64 ``[B, A]`` matcher output.
        targets: Per image ``boxes`` ``Float[N, 4]`` xyxy (batch-tensor pixels).
        box_coder: Encodes the targets (``"l1"``, ``"smooth_l1"``) or decodes the deltas
            (``"giou"``).
        kind: ``"l1"``, ``"smooth_l1"`` (with ``beta``) or ``"giou"`` (``1 - GIoU``).
        beta: Smooth-L1 transition point.

    Returns:
        Scalar loss.

    Raises:
        ValueError: If ``kind`` is not one of ``BOX_LOSSES``.
    """
    if kind not in BOX_LOSSES:
        raise ValueError(f"box_loss={kind!r} is not one of {BOX_LOSSES}")
    # every anchor of the batch at once, the background ones masked out (no host sync)
    foreground = matched >= 0  # [B, A]
    all_anchors = anchors.expand(*matched.shape, 4)
    # background anchors get their own box as target: finite values, masked below
    matched_boxes = matched_values(targets, matched, "boxes")  # [B, A, 4]
    gt_boxes = torch.where(foreground[..., None], matched_boxes, all_anchors)
    pred, flat_anchors = box_deltas.reshape(-1, 4), all_anchors.reshape(-1, 4)
    if kind == "giou":
        decoded = box_coder.decode(pred, flat_anchors)[:, 0]
        per_anchor = giou_loss(decoded, gt_boxes.reshape(-1, 4), "none")
    else:
        target = box_coder.encode(gt_boxes.reshape(-1, 4), flat_anchors)
        per_anchor = smooth_l1_loss(pred, target, 0.0 if kind == "l1" else beta, "none").sum(-1)
    per_anchor = torch.where(foreground, per_anchor.view(matched.shape), 0.0)
    counts = foreground.sum(dim=1, keepdim=True).clamp(min=1)  # [B, 1]
    return (per_anchor / counts).sum() / matched.shape[0]
