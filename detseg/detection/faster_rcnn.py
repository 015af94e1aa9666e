"""Faster R-CNN = backbone + region proposal network + Fast R-CNN RoI heads (Ren et al. 2015)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, get_args

from torch import Tensor, nn

from detseg.backbones.base import Backbone, NormName
from detseg.backbones.fpn import FPNNormName
from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.config.sections import dataclass_from_dict
from detseg.detection.builder_parts import (
    backbone_defaults,
    check_anchors_fit_levels,
    check_num_classes,
    check_widths,
    preset_signature,
    refuse_named_backbone_options,
)
from detseg.detection.fast_rcnn_heads import FastRCNNConvFCHead, FastRCNNMLPHead, FastRCNNPredictor
from detseg.detection.roi_heads import RoIHeads, RoIHeadsConfig
from detseg.detection.roi_pooling import POOLER_KINDS, PoolerKind, RoIPooler
from detseg.detection.rpn import RegionProposalNetwork, RPNConfig, RPNHead
from detseg.detection.settings_checks import checked_score_thresh
from detseg.detection.transform import DetectionTransform, clip_to_images
from detseg.detection.two_stage_backbone import (
    default_anchors,
    detection_backbone,
    module_detection_backbone,
)
from detseg.detection.validation import images_to_list, target_list
from detseg.ops.anchors import AnchorGenerator

#: The box head on the pooled RoIs: two fully connected layers (``"mlp"``) or four 3x3
#: convolutions with BatchNorm and one fully connected layer (``"conv"``, the v2 model).
BoxHeadKind = Literal["mlp", "conv"]


class FasterRCNN(nn.Module):
    """Two-stage detector assembled from its parts.

    Args:
        backbone: ``forward(x) -> OrderedDict[str, Float[B, C, h, w]]`` with equal ``C`` on
            every level (an FPN, or a single-map backbone).
        rpn: the :class:`RegionProposalNetwork` (uses every backbone level).
        roi_heads: the :class:`RoIHeads` (its pooler picks the levels it pools from).
        transform: the :class:`DetectionTransform` (normalise, resize, batch, map back).

    Attributes:
        task: ``"detection"``.
        num_classes: number of foreground classes ``K`` (labels ``1..K``).
    """

    task = "detection"

    def __init__(
        self,
        backbone: nn.Module,
        rpn: RegionProposalNetwork,
        roi_heads: RoIHeads,
        transform: DetectionTransform,
    ) -> None:
        super().__init__()
        self.backbone = backbone
        self.rpn = rpn
        self.roi_heads = roi_heads
        self.transform = transform
        self.num_classes = roi_heads.predictor.cls_score.out_features - 1
        if transform.num_classes is None:
            transform.num_classes = self.num_classes

    def losses(
        self, images: list[Tensor] | Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """Training (or validation) losses; works in train and eval mode.

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.
            targets: per image ``boxes`` ``Float[N, 4]`` xyxy input-image pixels and ``labels``
                ``Int64[N]`` in ``1..K``; ``N = 0`` is a valid negative image.

        Returns:
            ``loss_rpn_cls``, ``loss_rpn_box``, ``loss_roi_cls``, ``loss_roi_box`` (scalars).

        Raises:
            ValueError: naming the image and box when an image or a target is invalid.
            TypeError: for non-float images or boxes, or labels that are not int64.
        """
        batch, targets = self.transform(images_to_list(images), target_list(targets))
        features = self.backbone(batch.tensors)
        proposals, rpn_losses = self.rpn(batch, features, targets)
        roi_losses = self.roi_heads.losses(features, proposals, targets)
        return {**rpn_losses, **roi_losses}

    @property
    def score_thresh(self) -> float:
        """Inference score threshold: :meth:`predict` drops detections scoring at most this
        (the RoI heads' ``config.score_thresh``). ``infer.py --score-thr`` lowers it for one run."""
        return self.roi_heads.config.score_thresh

    @score_thresh.setter
    def score_thresh(self, value: float) -> None:
        self.roi_heads.config.score_thresh = checked_score_thresh(value)

    def predict(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Detect objects; call ``model.eval()`` first (train mode uses training top-n and BN).

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.

        Returns:
            one dict per image: ``boxes`` ``Float[D, 4]`` xyxy in that input image's pixels
            (clipped to it), ``scores`` ``Float[D]`` (decreasing), ``labels`` ``Int64[D]`` in
            ``1..K``.

        Raises:
            ValueError: if an image is not ``[3, H, W]`` (see :func:`images_to_list`).
            TypeError: if an image is not floating point.
        """
        images = images_to_list(images)
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, _ = self.transform(images)
        features = self.backbone(batch.tensors)
        proposals, _ = self.rpn(batch, features)
        detections = self.roi_heads.predict(features, proposals, batch.image_sizes)
        detections = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        return clip_to_images(detections, original_sizes)  # an ulp past the border: clipped

    def forward(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Same as :meth:`predict` (for export and torchvision-style calls)."""
        return self.predict(images)


# ----------------------------------------------------------------------------- builders


def build_rpn(
    channels: int,
    strides: list[int],
    anchor_sizes: Sequence[Sequence[int]] | None,
    aspect_ratios: Sequence[Sequence[float]] | None,
    rpn: dict[str, Any] | None,
) -> RegionProposalNetwork:
    """RPN over levels of the given strides (anchors default to :func:`default_anchors`)."""
    if anchor_sizes is None:
        anchor_sizes, default_ratios = default_anchors(strides)
        aspect_ratios = aspect_ratios or default_ratios
    elif aspect_ratios is None:
        aspect_ratios = ((0.5, 1.0, 2.0),) * len(anchor_sizes)
    anchors = AnchorGenerator(tuple(map(tuple, anchor_sizes)), tuple(map(tuple, aspect_ratios)))
    check_anchors_fit_levels(anchors, strides)
    config = dataclass_from_dict(RPNConfig, rpn, "rpn")
    head = RPNHead(channels, anchors.num_anchors_per_location()[0], config.conv_depth)
    return RegionProposalNetwork(anchors, head, config)


def faster_rcnn(
    num_classes: int,
    backbone: str | Backbone = "resnet50",
    fpn: bool = True,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName | None = None,
    norm_eps: float | None = None,
    norm_momentum: float | None = None,
    return_layers: Sequence[str] | None = None,
    fpn_channels: int = 256,
    fpn_norm: FPNNormName | None = None,
    width_mult: float = 1.0,
    pooler: PoolerKind = "align",
    pool_size: int = 7,
    sampling_ratio: int = 2,
    box_head: BoxHeadKind = "mlp",
    representation_size: int = 1024,
    min_size: int | Sequence[int] = 800,
    max_size: int = 1333,
    fixed_size: Sequence[int] | None = None,
    image_mean: Sequence[float] = IMAGENET_MEAN,
    image_std: Sequence[float] = IMAGENET_STD,
    anchor_sizes: Sequence[Sequence[int]] | None = None,
    aspect_ratios: Sequence[Sequence[float]] | None = None,
    rpn: dict[str, Any] | None = None,
    roi_heads: dict[str, Any] | None = None,
) -> FasterRCNN:
    """Faster R-CNN on any detseg backbone or a backbone module of one's own, with or
    without FPN.

    Args:
        num_classes: foreground classes ``K`` (labels ``1..K``).
        backbone: one of ``two_stage_backbone.BACKBONE_FAMILY`` (vgg16, vgg16_bn,
            resnet18/34/50/101, mobilenet_v2, mobilenet_v3_large), or a module following the
            backbone contract (:class:`~detseg.backbones.base.Backbone`: ``forward(x) ->
            OrderedDict[str, Float[B, C, h, w]]`` finest first, with ``out_channels`` and
            ``strides`` dicts), used as it is, as the body under the FPN (see
            :func:`~detseg.detection.two_stage_backbone.module_detection_backbone`).
            The options of a named backbone (``backbone_weights``, ``trainable_layers``,
            ``norm``, ``norm_eps``, ``norm_momentum``, ``width_mult``) then stay at their
            defaults.
        fpn: add an FPN (+ max-pool level); otherwise one feature map (VGG ``c5`` =
            conv5_3 and ResNet ``c4``: stride 16; MobileNet ``c5``: stride 32).
        backbone_weights: ``None``, ``"imagenet"`` or a local file (see ``detseg.backbones``).
        trainable_layers: backbone stages that train; ``None``: 3 with weights, else all.
        norm: ``"frozen_bn"`` or ``"bn"``; ``None``: frozen with weights, else ``"bn"``.
        norm_eps: if set, the eps of every backbone norm layer (converted models).
        norm_momentum: if set, the running-statistics momentum of every backbone BatchNorm
            (``None``: 0.1 without backbone weights, else the backbone's own default; MobileNets
            keep torchvision's 0.01, too slow for short runs from scratch).
        return_layers: backbone levels used (default per family, see
            ``two_stage_backbone._FPN_LEVELS``; for a module of one's own, all its levels).
        fpn_channels: FPN width. fpn_norm: ``None`` or ``"bn"`` (the v2 model).
        width_mult: MobileNet channel multiplier.
        pooler: ``"align"`` (RoIAlign) or ``"pool"`` (RoIPool, the paper).
        pool_size: pooled side ``S``. sampling_ratio: RoIAlign samples per bin.
        box_head: ``"mlp"`` (2 FC) or ``"conv"`` (4 conv+BN, 1 FC; the v2 model).
        representation_size: width of the box head output.
        min_size, max_size, fixed_size, image_mean, image_std: see
            :class:`~detseg.detection.transform.DetectionTransform` (``fixed_size`` is (H, W)).
        anchor_sizes, aspect_ratios: one tuple per level (default :func:`default_anchors`).
        rpn: :class:`RPNConfig` fields, e.g. ``{"pre_nms_top_n_test": 300}``.
        roi_heads: :class:`RoIHeadsConfig` fields, e.g. ``{"score_thresh": 0.01}``.

    Returns:
        The untrained :class:`FasterRCNN` (backbone weights aside).

    Raises:
        ValueError: for ``num_classes < 1``, an unknown ``pooler``, ``box_head`` or backbone,
            an invalid backbone, RPN or RoI-head setting, a width below 1, anchors that do
            not fit the backbone levels, a backbone module that breaks the contract, or a
            named backbone's option set with a backbone module.
    """
    check_num_classes(num_classes)
    check_widths(fpn_channels=fpn_channels, representation_size=representation_size)
    for key, value, choices in (
        ("pooler", pooler, POOLER_KINDS),
        ("box_head", box_head, get_args(BoxHeadKind)),
    ):
        if value not in choices:
            raise ValueError(f"{key}='{value}' is not one of {choices}")
    if isinstance(backbone, str):
        norm, trainable_layers = backbone_defaults(backbone_weights, norm, trainable_layers)
        body, pooled = detection_backbone(
            backbone,
            fpn,
            backbone_weights,
            trainable_layers,
            norm,
            return_layers,
            fpn_channels,
            fpn_norm,
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
        body, pooled = module_detection_backbone(
            backbone, fpn, return_layers, fpn_channels, fpn_norm
        )
    channels = next(iter(body.out_channels.values()))
    rpn_module = build_rpn(channels, list(body.strides.values()), anchor_sizes, aspect_ratios, rpn)
    roi_pooler = RoIPooler(
        pooled, [body.strides[n] for n in pooled], pool_size, pooler, sampling_ratio
    )
    if box_head == "mlp":
        box_module: nn.Module = FastRCNNMLPHead(channels * pool_size**2, representation_size)
    else:
        box_module = FastRCNNConvFCHead(channels, pool_size, fc_features=(representation_size,))
    heads = RoIHeads(
        roi_pooler,
        box_module,
        FastRCNNPredictor(representation_size, num_classes + 1),
        dataclass_from_dict(RoIHeadsConfig, roi_heads, "roi_heads", as_tuple=("bbox_reg_weights",)),
    )
    transform = DetectionTransform(
        tuple(min_size) if not isinstance(min_size, int) else min_size,
        max_size,
        image_mean,
        image_std,
        fixed_size=fixed_size,
        num_classes=num_classes,
    )
    return FasterRCNN(body, rpn_module, heads, transform)


def _merge(defaults: dict[str, Any], kwargs: dict[str, Any]) -> dict[str, Any]:
    """``{**defaults, **kwargs}``, merging dict values (``rpn``, ``roi_heads``) key by key."""
    merged = {**defaults, **kwargs}
    for key, value in defaults.items():
        if isinstance(value, dict) and isinstance(kwargs.get(key), dict):
            merged[key] = {**value, **kwargs[key]}
    return merged


_RESNET50_FPN: dict[str, Any] = {"backbone": "resnet50", "fpn": True}
_RESNET50_FPN_V2: dict[str, Any] = {
    **_RESNET50_FPN,
    "box_head": "conv",
    "fpn_norm": "bn",
    "norm": "bn",
    "rpn": {"conv_depth": 2},
}
_MOBILENET_FPN: dict[str, Any] = {
    "backbone": "mobilenet_v3_large",
    "fpn": True,
    "anchor_sizes": ((32, 64, 128, 256, 512),) * 3,
    "rpn": {"score_thresh": 0.05},
}
_MOBILENET_320_FPN: dict[str, Any] = {
    **_MOBILENET_FPN,
    "min_size": 320,
    "max_size": 640,
    "rpn": {"score_thresh": 0.05, "pre_nms_top_n_test": 150, "post_nms_top_n_test": 150},
}
_VGG16: dict[str, Any] = {
    "backbone": "vgg16",
    "fpn": False,
    "pooler": "pool",
    "representation_size": 4096,
    "anchor_sizes": ((128, 256, 512),),
    "min_size": 600,
    "max_size": 1000,
    "rpn": {
        "pre_nms_top_n_train": 12000,
        "post_nms_top_n_train": 2000,
        "pre_nms_top_n_test": 6000,
        "post_nms_top_n_test": 300,
    },
    "roi_heads": {"batch_size_per_image": 128},
}


def faster_rcnn_resnet50_fpn(num_classes: int, **kwargs: Any) -> FasterRCNN:
    """ResNet-50-FPN Faster R-CNN (torchvision ``fasterrcnn_resnet50_fpn``); see
    :func:`faster_rcnn` for the keyword arguments."""
    return faster_rcnn(num_classes, **_merge(_RESNET50_FPN, kwargs))


def faster_rcnn_resnet50_fpn_v2(num_classes: int, **kwargs: Any) -> FasterRCNN:
    """The improved ResNet-50-FPN model (torchvision ``fasterrcnn_resnet50_fpn_v2``): BN in the
    FPN, two RPN convs, a 4conv1fc box head."""
    return faster_rcnn(num_classes, **_merge(_RESNET50_FPN_V2, kwargs))


def faster_rcnn_mobilenet_v3_large_fpn(num_classes: int, **kwargs: Any) -> FasterRCNN:
    """MobileNetV3-Large FPN (torchvision ``fasterrcnn_mobilenet_v3_large_fpn``)."""
    return faster_rcnn(num_classes, **_merge(_MOBILENET_FPN, kwargs))


def faster_rcnn_mobilenet_v3_large_320_fpn(num_classes: int, **kwargs: Any) -> FasterRCNN:
    """Low-resolution MobileNetV3-Large FPN (torchvision ``..._320_fpn``): 320..640 px."""
    return faster_rcnn(num_classes, **_merge(_MOBILENET_320_FPN, kwargs))


def faster_rcnn_vgg16(num_classes: int, **kwargs: Any) -> FasterRCNN:
    """The original Faster R-CNN: VGG16 conv5_3 (stride 16), 3 sizes x 3 ratios anchors,
    RoIPool 7x7, two 4096-wide FC layers, 600..1000 px images."""
    return faster_rcnn(num_classes, **_merge(_VGG16, kwargs))


for _builder, _defaults in (
    (faster_rcnn_resnet50_fpn, _RESNET50_FPN),
    (faster_rcnn_resnet50_fpn_v2, _RESNET50_FPN_V2),
    (faster_rcnn_mobilenet_v3_large_fpn, _MOBILENET_FPN),
    (faster_rcnn_mobilenet_v3_large_320_fpn, _MOBILENET_320_FPN),
    (faster_rcnn_vgg16, _VGG16),
):
    # a function type has no __signature__ attribute; inspect.signature() reads it
    _builder.__signature__ = preset_signature(faster_rcnn, _defaults)  # type: ignore[attr-defined]
