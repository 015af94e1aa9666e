"""RetinaNet = backbone + FPN (P3-P7) + shared class / box subnets + focal loss.

``RetinaNet(backbone, anchor_generator, head, transform, config)`` composes the parts;
:func:`retinanet` builds one on any detseg backbone (its FPN:
:mod:`~detseg.detection.retinanet_backbone`), and the presets reproduce torchvision's
``retinanet_resnet50_fpn`` (v1: P6 from P5, L1 box loss) and ``retinanet_resnet50_fpn_v2``
(P6 from C5, GroupNorm in the head, GIoU box loss).

Anchors: 3 octave scales ``(2**0, 2**(1/3), 2**(2/3))`` x 3 ratios ``(0.5, 1, 2)`` per level,
base size ``4 * stride`` (32 on P3 .. 512 on P7), truncated to whole pixels as torchvision does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from detseg.backbones.base import Backbone, NormName
from detseg.backbones.fpn import P6P7Source
from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.detection.builder_parts import (
    backbone_defaults,
    check_anchors_fit_levels,
    check_num_classes,
    check_widths,
    preset_signature,
    refuse_named_backbone_options,
)
from detseg.detection.retinanet_backbone import (
    retinanet_fpn_backbone,
    retinanet_module_fpn_backbone,
)
from detseg.detection.retinanet_head import (
    BOX_LOSSES,
    BoxLossName,
    HeadNormName,
    RetinaNetHead,
    retinanet_box_loss,
    retinanet_cls_loss,
)
from detseg.detection.settings_checks import (
    require_at_least,
    require_fractions,
    require_iou_order,
)
from detseg.detection.single_stage import (
    HeadOutputs,
    SingleStageDetector,
    match_anchors,
    postprocess_sigmoid_per_image,
)
from detseg.detection.transform import DetectionTransform
from detseg.ops.anchors import AnchorGenerator
from detseg.ops.box_coder import BoxCoder
from detseg.ops.matching import Matcher


@dataclass
class RetinaNetConfig:
    """Training and inference settings of a :class:`RetinaNet`.

    Attributes:
        fg_iou_thresh: IoU from which an anchor is foreground.
        bg_iou_thresh: IoU below which an anchor is background (in between: ignored).
        allow_low_quality_matches: Every gt also keeps its best-overlapping anchors.
        box_loss: ``"l1"``, ``"smooth_l1"`` or ``"giou"``. smooth_l1_beta: its beta.
        focal_alpha, focal_gamma: Focal loss parameters.
        score_thresh: Inference score threshold (``score > score_thresh`` kept).
        topk_candidates: Most (anchor, class) pairs per level before NMS.
        nms_thresh: Class-wise NMS IoU threshold.
        detections_per_img: Most detections per image.

    Raises:
        ValueError: (at construction) for an unknown ``box_loss``, a threshold outside
            ``[0, 1]``, ``smooth_l1_beta < 0``, ``topk_candidates < 1`` or
            ``detections_per_img < 1``.
    """

    fg_iou_thresh: float = 0.5
    bg_iou_thresh: float = 0.4
    allow_low_quality_matches: bool = True
    box_loss: str = "l1"
    smooth_l1_beta: float = 1 / 9
    focal_alpha: float = 0.25
    focal_gamma: float = 2.0
    score_thresh: float = 0.05
    topk_candidates: int = 1000
    nms_thresh: float = 0.5
    detections_per_img: int = 300

    def __post_init__(self) -> None:
        if self.box_loss not in BOX_LOSSES:
            raise ValueError(f"box_loss={self.box_loss!r} is not one of {BOX_LOSSES}")
        require_fractions(self, "fg_iou_thresh", "bg_iou_thresh", "score_thresh", "nms_thresh")
        require_iou_order(self)
        require_at_least(self, 0, "smooth_l1_beta")
        require_at_least(self, 1, "topk_candidates", "detections_per_img")


class RetinaNet(SingleStageDetector):
    """Single-stage detector with sigmoid classification (no background logit).

    Args:
        backbone: An FPN backbone: every level has the same channels.
        anchor_generator: :class:`AnchorGenerator` with one entry per backbone level.
        head: :class:`RetinaNetHead`.
        transform: :class:`DetectionTransform`.
        config: :class:`RetinaNetConfig`.

    Attributes:
        num_classes: Foreground classes ``K`` (labels ``1..K``).
    """

    def __init__(
        self,
        backbone: nn.Module,
        anchor_generator: AnchorGenerator,
        head: RetinaNetHead,
        transform: DetectionTransform,
        config: RetinaNetConfig | None = None,
    ) -> None:
        super().__init__(backbone, anchor_generator, head, transform, head.num_classes)
        self.config: RetinaNetConfig = config or RetinaNetConfig()
        cfg = self.config
        self.matcher = Matcher(cfg.fg_iou_thresh, cfg.bg_iou_thresh, cfg.allow_low_quality_matches)
        self.box_coder = BoxCoder((1.0, 1.0, 1.0, 1.0))

    def compute_losses(
        self, outputs: HeadOutputs, anchors: Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """Focal loss and box loss (see :mod:`detseg.detection.retinanet_head`)."""
        cfg = self.config
        matched = match_anchors(self.matcher, targets, anchors)
        loss_cls = retinanet_cls_loss(
            outputs["cls_logits"], matched, targets, cfg.focal_alpha, cfg.focal_gamma
        )
        loss_box = retinanet_box_loss(
            outputs["box_deltas"],
            anchors,
            matched,
            targets,
            self.box_coder,
            cfg.box_loss,
            cfg.smooth_l1_beta,
        )
        return {"loss_cls": loss_cls, "loss_box": loss_box}

    def postprocess(
        self,
        outputs: HeadOutputs,
        anchors: Tensor,
        level_counts: list[int],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Per-level top-k, decoding, clipping and class-wise NMS, image by image.

        See :meth:`SingleStageDetector.postprocess`; the detections are in resized-image
        pixels.
        """
        cfg = self.config
        level_anchors = list(anchors.split(level_counts))
        cls_levels = outputs["cls_logits"].split(level_counts, dim=1)
        box_levels = outputs["box_deltas"].split(level_counts, dim=1)
        return [
            postprocess_sigmoid_per_image(
                [c[i] for c in cls_levels],
                [b[i] for b in box_levels],
                level_anchors,
                size,
                self.box_coder,
                cfg.score_thresh,
                cfg.topk_candidates,
                cfg.nms_thresh,
                cfg.detections_per_img,
            )
            for i, size in enumerate(image_sizes)
        ]


# ----------------------------------------------------------------------------- builders


def retinanet_anchor_sizes(strides: Sequence[int]) -> tuple[tuple[int, ...], ...]:
    """Per level ``(x, int(x * 2**(1/3)), int(x * 2**(2/3)))`` with ``x = 4 * stride``."""
    return tuple((4 * s, int(4 * s * 2 ** (1.0 / 3)), int(4 * s * 2 ** (2.0 / 3))) for s in strides)


def retinanet(
    num_classes: int,
    backbone: str | Backbone = "resnet50",
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName | None = None,
    norm_eps: float | None = None,
    norm_momentum: float | None = None,
    return_layers: Sequence[str] | None = None,
    fpn_channels: int = 256,
    p6p7_from: P6P7Source = "p5",
    width_mult: float = 1.0,
    head_norm: HeadNormName | None = None,
    head_convs: int = 4,
    min_size: int | Sequence[int] = 800,
    max_size: int = 1333,
    image_mean: Sequence[float] = IMAGENET_MEAN,
    image_std: Sequence[float] = IMAGENET_STD,
    anchor_sizes: Sequence[Sequence[int]] | None = None,
    aspect_ratios: Sequence[Sequence[float]] | None = None,
    box_loss: BoxLossName = "smooth_l1",
    smooth_l1_beta: float = 1 / 9,
    focal_alpha: float = 0.25,
    focal_gamma: float = 2.0,
    fg_iou_thresh: float = 0.5,
    bg_iou_thresh: float = 0.4,
    allow_low_quality_matches: bool = True,
    score_thresh: float = 0.05,
    topk_candidates: int = 1000,
    nms_thresh: float = 0.5,
    detections_per_img: int = 300,
) -> RetinaNet:
    """RetinaNet on any detseg backbone (ResNet, MobileNet, VGG), or a backbone module of one's
    own, with an FPN P3-P7.

    Args:
        num_classes: Foreground classes ``K`` (labels ``1..K``).
        backbone: A plain backbone name (``resnet50``, ``mobilenet_v3_large``, ``vgg16``...),
            or a module following the backbone contract
            (:class:`~detseg.backbones.base.Backbone`: ``forward(x) -> OrderedDict[str,
            Float[B, C, h, w]]`` finest first, with ``out_channels`` and ``strides`` dicts),
            used as it is as the FPN's body. The options of a named backbone
            (``backbone_weights``, ``trainable_layers``, ``norm``, ``norm_eps``,
            ``norm_momentum``, ``width_mult``) then stay at their defaults.
        backbone_weights: ``None``, ``"imagenet"`` or a local file.
        trainable_layers: Backbone stages that train; ``None``: 3 with weights, else all.
        norm: ``"frozen_bn"`` or ``"bn"``; ``None``: frozen with weights, else ``"bn"``.
        norm_eps: If set, the eps of every backbone norm layer.
        norm_momentum: If set, the running-statistics momentum of every backbone BatchNorm.
        return_layers: Backbone levels fed to the FPN (default ``c3, c4, c5``; for a module
            of one's own, all its levels).
        fpn_channels: FPN width. p6p7_from: ``"p5"`` (v1) or ``"c5"`` (v2).
        width_mult: MobileNet channel multiplier.
        head_norm: ``None`` or ``"group"`` (GroupNorm in the subnets, v2). With ``None`` the
            subnet convs keep torchvision's Normal(0, 0.01) init, which shrinks the signal
            ~2x more per conv at 64 channels than at 256: narrow heads train better with
            ``"group"``.
        head_convs: Convs in each subnet before its output layer (torchvision: 4).
        min_size, max_size, image_mean, image_std: See :class:`DetectionTransform`.
        anchor_sizes: One tuple per level (default :func:`retinanet_anchor_sizes`).
        aspect_ratios: One tuple per level (default ``(0.5, 1.0, 2.0)``).
        box_loss, smooth_l1_beta, focal_alpha, focal_gamma, fg_iou_thresh, bg_iou_thresh,
            allow_low_quality_matches, score_thresh, topk_candidates, nms_thresh,
            detections_per_img: The :class:`RetinaNetConfig` fields. The family's ``box_loss``
            default is ``"smooth_l1"``; the torchvision presets set theirs (``"l1"`` for v1,
            as :class:`RetinaNetConfig`'s own default, ``"giou"`` for v2).

    Returns:
        The untrained :class:`RetinaNet` (backbone weights aside).

    Raises:
        ValueError: for ``num_classes < 1``, an unknown backbone, an invalid backbone,
            head or :class:`RetinaNetConfig` setting, ``fpn_channels < 1``, anchors that do
            not fit the backbone levels, a backbone module that breaks the contract, or a
            named backbone's option set with a backbone module.
    """
    check_num_classes(num_classes)
    check_widths(fpn_channels=fpn_channels)
    if isinstance(backbone, str):
        norm, trainable_layers = backbone_defaults(backbone_weights, norm, trainable_layers)
        body = retinanet_fpn_backbone(
            backbone,
            backbone_weights,
            trainable_layers,
            norm,
            return_layers,
            fpn_channels,
            p6p7_from,
            width_mult,
            norm_eps,
            norm_momentum,
        )
    else:
        refuse_named_backbone_options(
            backbone_weights=backbone_weights,
            trainable_layers=trainable_layers,
            norm=norm,
            norm_eps=norm_eps,
            norm_momentum=norm_momentum,
            width_mult=width_mult,
        )
        body = retinanet_module_fpn_backbone(backbone, return_layers, fpn_channels, p6p7_from)
    strides = list(body.strides.values())
    sizes = anchor_sizes or retinanet_anchor_sizes(strides)
    ratios = aspect_ratios or ((0.5, 1.0, 2.0),) * len(sizes)
    anchors = AnchorGenerator(tuple(map(tuple, sizes)), tuple(map(tuple, ratios)))
    check_anchors_fit_levels(anchors, strides)
    head = RetinaNetHead(
        fpn_channels,
        anchors.num_anchors_per_location()[0],
        num_classes,
        num_convs=head_convs,
        norm=head_norm,
    )
    transform = DetectionTransform(
        min_size if isinstance(min_size, int) else tuple(min_size),
        max_size,
        image_mean,
        image_std,
        num_classes=num_classes,
    )
    config = RetinaNetConfig(
        fg_iou_thresh=fg_iou_thresh,
        bg_iou_thresh=bg_iou_thresh,
        allow_low_quality_matches=allow_low_quality_matches,
        box_loss=box_loss,
        smooth_l1_beta=smooth_l1_beta,
        focal_alpha=focal_alpha,
        focal_gamma=focal_gamma,
        score_thresh=score_thresh,
        topk_candidates=topk_candidates,
        nms_thresh=nms_thresh,
        detections_per_img=detections_per_img,
    )
    return RetinaNet(body, anchors, head, transform, config)


_RESNET50_FPN: dict[str, Any] = {"backbone": "resnet50", "box_loss": "l1"}
_RESNET50_FPN_V2: dict[str, Any] = {
    "backbone": "resnet50",
    "p6p7_from": "c5",
    "head_norm": "group",
    "box_loss": "giou",
    "norm": "bn",
}


def retinanet_resnet50_fpn(num_classes: int, **kwargs: Any) -> RetinaNet:
    """torchvision's ``retinanet_resnet50_fpn``: P6 from P5, L1 box loss; see
    :func:`retinanet` for the keyword arguments."""
    return retinanet(num_classes, **{**_RESNET50_FPN, **kwargs})


def retinanet_resnet50_fpn_v2(num_classes: int, **kwargs: Any) -> RetinaNet:
    """torchvision's ``retinanet_resnet50_fpn_v2``: P6 from C5, GroupNorm head, GIoU loss,
    trainable BatchNorm in the backbone."""
    return retinanet(num_classes, **{**_RESNET50_FPN_V2, **kwargs})


for _preset, _defaults in (
    (retinanet_resnet50_fpn, _RESNET50_FPN),
    (retinanet_resnet50_fpn_v2, _RESNET50_FPN_V2),
):
    # a function type has no __signature__ attribute; inspect.signature() reads it
    _preset.__signature__ = preset_signature(retinanet, _defaults)  # type: ignore[attr-defined]


RETINANET_MODELS: dict[str, Callable[..., RetinaNet]] = {
    "retinanet": retinanet,
    "retinanet_resnet50_fpn": retinanet_resnet50_fpn,
    "retinanet_resnet50_fpn_v2": retinanet_resnet50_fpn_v2,
}
