"""SSD (Liu et al. 2016) and SSDlite: fixed-size input, multi-scale default boxes, softmax
classification with a background class, MultiBox loss with hard negative mining.

``SSD(backbone, default_boxes, head, transform, config)`` composes the parts; :func:`ssd`
builds SSD300 on VGG16 or SSDlite on MobileNetV3-Large, and the presets reproduce
torchvision's ``ssd300_vgg16`` and ``ssdlite320_mobilenet_v3_large``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from torch import Tensor, nn

from detseg.backbones.base import Backbone, set_norm_statistics
from detseg.detection.builder_parts import (
    check_num_classes,
    preset_signature,
    scratch_norm_momentum,
)
from detseg.detection.settings_checks import require_at_least, require_fractions
from detseg.detection.single_stage import (
    HeadOutputs,
    SingleStageDetector,
    match_anchors,
    postprocess_softmax,
)
from detseg.detection.ssd_backbones import (
    ConvInitName,
    SSDLiteMobileNetV3Backbone,
    SSDVGG16Backbone,
)
from detseg.detection.ssd_head import HeadKind, SSDHead, SSDMatcher, multibox_loss
from detseg.detection.transform import DetectionTransform
from detseg.ops.box_coder import BoxCoder
from detseg.ops.boxes import clip_boxes_to_sizes
from detseg.ops.default_boxes import DefaultBoxGenerator


@dataclass
class SSDConfig:
    """Training and inference settings of an :class:`SSD`.

    Attributes:
        iou_thresh: Matching IoU threshold (plus each gt's best default box).
        neg_pos_ratio: Hard negatives kept per positive.
        box_coder_weights: ``(wx, wy, ww, wh)`` of the box coder (``1 / variances``).
        smooth_l1_beta: Smooth-L1 transition point of the box loss.
        score_thresh: Inference score threshold (``score > score_thresh`` kept).
        topk_candidates: Most candidates per class before NMS.
        nms_thresh: Class-wise NMS IoU threshold.
        detections_per_img: Most detections per image.

    Raises:
        ValueError: (at construction) a threshold outside ``[0, 1]`` (``iou_thresh`` must be
            above 0), a negative ratio or beta, ``topk_candidates < 1`` or
            ``detections_per_img < 1``.
    """

    iou_thresh: float = 0.5
    neg_pos_ratio: float = 3.0
    box_coder_weights: tuple[float, float, float, float] = (10.0, 10.0, 5.0, 5.0)
    smooth_l1_beta: float = 1.0
    score_thresh: float = 0.01
    topk_candidates: int = 400
    nms_thresh: float = 0.45
    detections_per_img: int = 200

    def __post_init__(self) -> None:
        if not 0 < self.iou_thresh <= 1 or not 0 <= self.nms_thresh <= 1:
            raise ValueError(
                f"iou_thresh must be in (0, 1] and nms_thresh in [0, 1], got {self.iou_thresh} "
                f"and {self.nms_thresh}"
            )
        if self.neg_pos_ratio < 0 or self.smooth_l1_beta < 0:
            raise ValueError("neg_pos_ratio and smooth_l1_beta must be >= 0")
        require_fractions(self, "score_thresh")
        require_at_least(self, 1, "topk_candidates", "detections_per_img")


class SSD(SingleStageDetector):
    """Single-stage detector with softmax scores over ``K + 1`` classes (0 = background).

    Args:
        backbone: Returns one feature map per default-box level.
        default_boxes: :class:`DefaultBoxGenerator` with one entry per level.
        head: :class:`SSDHead` with ``K + 1`` classes.
        transform: :class:`DetectionTransform` with a ``fixed_size``.
        config: :class:`SSDConfig`.

    Attributes:
        num_classes: Foreground classes ``K`` (labels ``1..K``).
    """

    def __init__(
        self,
        backbone: nn.Module,
        default_boxes: DefaultBoxGenerator,
        head: SSDHead,
        transform: DetectionTransform,
        config: SSDConfig | None = None,
    ) -> None:
        super().__init__(backbone, default_boxes, head, transform, head.num_classes - 1)
        self.config: SSDConfig = config or SSDConfig()
        self.matcher = SSDMatcher(self.config.iou_thresh)
        self.box_coder = BoxCoder(self.config.box_coder_weights)

    def compute_losses(
        self, outputs: HeadOutputs, anchors: Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """MultiBox loss (see :func:`~detseg.detection.ssd_head.multibox_loss`)."""
        matched = match_anchors(self.matcher, targets, anchors)
        return multibox_loss(
            outputs,
            anchors,
            matched,
            targets,
            self.box_coder,
            self.config.neg_pos_ratio,
            self.config.smooth_l1_beta,
        )

    def postprocess(
        self,
        outputs: HeadOutputs,
        anchors: Tensor,
        level_counts: list[int],
        image_sizes: list[tuple[int, int]],
    ) -> list[dict[str, Tensor]]:
        """Decode and clip every box, then batched per-class top-k and NMS per image."""
        deltas = outputs["box_deltas"]
        num_images, num_anchors = deltas.shape[:2]
        decoded = self.box_coder.decode(deltas.reshape(-1, 4), anchors.repeat(num_images, 1))
        decoded = decoded.view(num_images, num_anchors, 4)
        boxes = clip_boxes_to_sizes(decoded, image_sizes)
        cfg = self.config
        return postprocess_softmax(
            outputs["cls_logits"],
            boxes,
            cfg.score_thresh,
            cfg.topk_candidates,
            cfg.nms_thresh,
            cfg.detections_per_img,
        )


# ----------------------------------------------------------------------------- builders

SSD_BACKBONES = ("vgg16", "mobilenet_v3_large")
#: Feature levels of both SSD backbones (SSD300's VGG16 and SSDlite's MobileNetV3-Large): the
#: default boxes take one ``aspect_ratios`` entry and one ``steps`` entry per level, and
#: ``scales`` one more.
SSD_FEATURE_LEVELS = 6
VGG_MEAN, VGG_STD = (0.48235, 0.45882, 0.40784), (1.0 / 255.0,) * 3
_SSD300_BOXES: dict[str, Any] = {
    "aspect_ratios": [[2], [2, 3], [2, 3], [2, 3], [2], [2]],
    "scales": [0.07, 0.15, 0.33, 0.51, 0.69, 0.87, 1.05],
    "steps": [8, 16, 32, 64, 100, 300],
}
_SSDLITE_BOXES: dict[str, Any] = {
    "aspect_ratios": [[2, 3]] * 6,
    "min_ratio": 0.2,
    "max_ratio": 0.95,
}


def _ssd_backbone(
    name: str,
    size: int,
    weights: str | None,
    trainable_layers: int | None,
    width_mult: float,
    reduced_tail: bool | None,
    conv_init: str,
) -> Backbone:
    """SSD300's VGG16 or SSDlite's MobileNetV3-Large feature extractor (see :func:`ssd`).

    Raises:
        ValueError: for an unknown ``name``; for VGG16, a ``size`` other than 300 or a
            ``conv_init`` other than ``"normal"``.
    """
    if name == "vgg16":
        if conv_init != "normal":
            raise ValueError(f"conv_init={conv_init!r} applies to the SSDlite MobileNet only")
        if size != 300:
            raise ValueError(f"the VGG16 SSD is built for size=300 only, got size={size}")
        if trainable_layers is None and weights:
            trainable_layers = 4
        return SSDVGG16Backbone(weights, trainable_layers)
    if name == "mobilenet_v3_large":
        tail = weights is None if reduced_tail is None else reduced_tail
        return SSDLiteMobileNetV3Backbone(weights, trainable_layers, width_mult, tail, conv_init)
    raise ValueError(f"SSD backbone {name!r} is not one of {SSD_BACKBONES}")


def ssd(
    num_classes: int,
    backbone: str = "vgg16",
    size: int = 300,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    width_mult: float = 1.0,
    reduced_tail: bool | None = None,
    norm_momentum: float | None = None,
    conv_init: ConvInitName = "normal",
    head: HeadKind | None = None,
    image_mean: Sequence[float] | None = None,
    image_std: Sequence[float] | None = None,
    aspect_ratios: Sequence[Sequence[float]] | None = None,
    scales: Sequence[float] | None = None,
    min_ratio: float | None = None,
    max_ratio: float | None = None,
    steps: Sequence[int] | None = None,
    clip: bool = True,
    iou_thresh: float = 0.5,
    neg_pos_ratio: float = 3.0,
    score_thresh: float = 0.01,
    topk_candidates: int = 400,
    nms_thresh: float = 0.45,
    detections_per_img: int = 200,
) -> SSD:
    """SSD300 on VGG16 or SSDlite on MobileNetV3-Large (images resized to ``size x size``).

    Args:
        num_classes: Foreground classes ``K`` (labels ``1..K``; the head adds background).
        backbone: ``"vgg16"`` (SSD300, ``size`` must be 300) or ``"mobilenet_v3_large"``.
        size: Side of the square network input.
        backbone_weights: ``None``, ``"imagenet"`` or a local file.
        trainable_layers: Backbone stages that train (``None``: VGG 4 with weights, else all).
        width_mult, reduced_tail: MobileNet options (``reduced_tail=None``: reduced without
            ImageNet weights, as torchvision).
        norm_momentum: BatchNorm momentum of SSDlite's backbone and separable predictors;
            ``None``: 0.1 without ``backbone_weights`` (from scratch), else torchvision's 0.03.
            SSD300 has no BatchNorm.
        conv_init: SSDlite's init of the convs without ImageNet weights: ``"normal"``
            (torchvision's Normal(0, 0.03)) or ``"kaiming"`` (trains faster from scratch with
            AdamW, see :class:`SSDLiteMobileNetV3Backbone`).
        head: ``"conv"`` or ``"separable"`` (default: conv for VGG, separable for MobileNet).
        image_mean, image_std: Normalisation (default: VGG's Caffe values, MobileNet 0.5/0.5).
        aspect_ratios, scales, min_ratio, max_ratio, steps, clip: The
            :class:`DefaultBoxGenerator` (default: SSD300's, or SSDlite's 0.2..0.95).
        iou_thresh, neg_pos_ratio, score_thresh, topk_candidates, nms_thresh,
            detections_per_img: The :class:`SSDConfig` fields.

    Returns:
        The untrained :class:`SSD` (backbone weights aside).

    Raises:
        ValueError: for ``num_classes < 1``, an unknown backbone or head, a VGG16 ``size``
            other than 300, or an invalid default-box or backbone setting.
    """
    check_num_classes(num_classes)
    body = _ssd_backbone(
        backbone, size, backbone_weights, trainable_layers, width_mult, reduced_tail, conv_init
    )
    vgg = backbone == "vgg16"
    boxes = dict(_SSD300_BOXES if vgg else _SSDLITE_BOXES)
    given = {
        "aspect_ratios": aspect_ratios,
        "scales": scales,
        "min_ratio": min_ratio,
        "max_ratio": max_ratio,
        "steps": steps,
    }
    boxes.update({k: v for k, v in given.items() if v is not None})
    default_boxes = DefaultBoxGenerator(clip=clip, **boxes)
    head_kind = head or ("conv" if vgg else "separable")
    predictor = SSDHead(
        list(body.out_channels.values()),
        default_boxes.num_anchors_per_location(),
        num_classes + 1,
        head_kind,
    )
    momentum = scratch_norm_momentum(backbone_weights, norm_momentum)
    for module in (body, predictor):
        set_norm_statistics(module, momentum=momentum)
    mean = image_mean or (VGG_MEAN if vgg else (0.5, 0.5, 0.5))
    std = image_std or (VGG_STD if vgg else (0.5, 0.5, 0.5))
    transform = DetectionTransform(
        size, size, mean, std, size_divisible=1, fixed_size=(size, size), num_classes=num_classes
    )
    config = SSDConfig(
        iou_thresh=iou_thresh,
        neg_pos_ratio=neg_pos_ratio,
        score_thresh=score_thresh,
        topk_candidates=topk_candidates,
        nms_thresh=nms_thresh,
        detections_per_img=detections_per_img,
    )
    return SSD(body, default_boxes, predictor, transform, config)


_SSD300: dict[str, Any] = {"backbone": "vgg16", "size": 300}
_SSDLITE320: dict[str, Any] = {
    "backbone": "mobilenet_v3_large",
    "size": 320,
    "score_thresh": 0.001,
    "nms_thresh": 0.55,
    "detections_per_img": 300,
    "topk_candidates": 300,
}


def ssd300_vgg16(num_classes: int, **kwargs: Any) -> SSD:
    """torchvision's ``ssd300_vgg16``; see :func:`ssd` for the keyword arguments."""
    return ssd(num_classes, **{**_SSD300, **kwargs})


def ssdlite320_mobilenet_v3_large(num_classes: int, **kwargs: Any) -> SSD:
    """torchvision's ``ssdlite320_mobilenet_v3_large``: 320 px, separable predictors,
    score threshold 0.001, 300 candidates per class and 300 detections."""
    return ssd(num_classes, **{**_SSDLITE320, **kwargs})


for _preset, _defaults in ((ssd300_vgg16, _SSD300), (ssdlite320_mobilenet_v3_large, _SSDLITE320)):
    # a function type has no __signature__ attribute; inspect.signature() reads it
    _preset.__signature__ = preset_signature(ssd, _defaults)  # type: ignore[attr-defined]

SSD_MODELS: dict[str, Callable[..., SSD]] = {
    "ssd": ssd,
    "ssd300_vgg16": ssd300_vgg16,
    "ssdlite320_mobilenet_v3_large": ssdlite320_mobilenet_v3_large,
}
