"""YOLO: one-stage grid detectors, in the textbook v1 form and the v3 multi-scale form.

- **v1** (Redmon et al. 2016): the backbone's last feature map is pooled to an ``S x S``
  grid; each cell predicts ``B`` boxes ``(x, y, sqrt_w, sqrt_h, confidence)`` and one set of
  ``K`` class probabilities; sum-squared loss (see :func:`yolov1_loss`). The confidence is
  linear as in the paper; box values go through a sigmoid (they live in ``[0, 1]``) and class
  scores through a softmax (the paper's last layer is linear throughout). The head is
  convolutional (two 3x3 convs then a 1x1 prediction on the ``S x S`` map) instead of the
  paper's two fully connected layers.
- **v3** (Redmon & Farhadi 2018): three grids (backbone ``c3..c5``; strides 8/16/32 on ResNet
  and MobileNet, 4/8/16 on VGG), optionally through an FPN-like top-down neck; three priors per
  level; per prior ``(tx, ty, tw, th, objectness, K class logits)``; BCE objectness and
  classes, GIoU (or smooth-L1) boxes, best-prior assignment and the ignore threshold (see
  :mod:`~detseg.detection.yolo_targets` and :func:`yolov3_loss`).

Inputs are resized to a fixed square ``input_size`` (aspect ratio not kept). Detection score
is ``confidence x class probability`` (v1) or ``sigmoid(objectness) x sigmoid(class)`` (v3),
followed by a score threshold, a top-n, class-wise NMS and ``max_detections``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import torch
from torch import Tensor, nn

from detseg.backbones import build_model_backbone
from detseg.backbones.base import NormName
from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.config.checks import Range
from detseg.config.sections import dataclass_from_dict
from detseg.detection.builder_parts import backbone_defaults, check_num_classes, preset_signature
from detseg.detection.settings_checks import (
    checked_score_thresh,
    require_at_least,
    require_fractions,
)
from detseg.detection.transform import DetectionTransform, clip_to_images
from detseg.detection.validation import images_to_list, target_list
from detseg.detection.yolo_heads import YOLOv1GridHead, YOLOv3Head, YOLOv3Neck
from detseg.detection.yolo_loss import YOLOv1LossConfig, YOLOv3LossConfig
from detseg.detection.yolo_settings import (
    DEFAULT_NECK_CHANNELS,
    VersionDefault,
    check_priors,
    check_version_settings,
    check_widths,
    default_priors,
    neck_width,
)
from detseg.ops.boxes import clip_boxes_to_image
from detseg.ops.nms import filter_detections

__all__ = [
    "YOLO",
    "YOLO_MODELS",
    "YOLOInferenceConfig",
    "YOLOv1GridHead",
    "YOLOv3Head",
    "YOLOv3Neck",
    "yolo",
    "yolov1_resnet18",
    "yolov3_mobilenet_v3_large",
    "yolov3_resnet18",
]


@dataclass
class YOLOInferenceConfig:
    """Post-processing: keep ``score > score_thresh``, the ``pre_nms_top_n`` best (box, class)
    pairs, class-wise NMS at ``nms_thresh``, then at most ``max_detections`` per image.

    The thresholds lie in ``[0, 1]``, ``pre_nms_top_n >= 1``, ``max_detections >= 1`` and
    ``min_box_size >= 0``; other values are refused at construction.

    Boxes narrower or shorter than ``min_box_size`` pixels once clipped to the image are dropped
    first (as torchvision's R-CNN box head drops them): cells past the image's right or bottom
    edge (an ``input_size`` that is not a multiple of the coarsest stride) decode to boxes that
    clipping flattens to zero width or height.
    """

    score_thresh: float = 0.05
    nms_thresh: float = 0.45
    pre_nms_top_n: int = 1000
    max_detections: int = 100
    min_box_size: float = 1e-2

    def __post_init__(self) -> None:
        require_fractions(self, "score_thresh", "nms_thresh")
        require_at_least(self, 1, "pre_nms_top_n", "max_detections")
        require_at_least(self, 0, "min_box_size")


class YOLO(nn.Module):
    """A YOLO detector: ``transform -> backbone -> head (v1 or v3) -> filtering``.

    Args:
        backbone: returns an ``OrderedDict`` of levels; ``in_features`` are fed to the head.
        head: :class:`YOLOv1GridHead` or :class:`YOLOv3Head`.
        transform: a fixed-size :class:`DetectionTransform`.
        in_features: backbone level names used, finest first.
        inference: :class:`YOLOInferenceConfig`.

    Attributes:
        task: ``"detection"``. num_classes: ``K`` (labels ``1..K``).
    """

    task = "detection"

    def __init__(
        self,
        backbone: nn.Module,
        head: YOLOv1GridHead | YOLOv3Head,
        transform: DetectionTransform,
        in_features: Sequence[str],
        inference: YOLOInferenceConfig | None = None,
    ) -> None:
        super().__init__()
        self.backbone, self.head, self.transform = backbone, head, transform
        self.in_features = list(in_features)
        self.inference = inference or YOLOInferenceConfig()
        self.num_classes = head.num_classes
        if transform.num_classes is None:
            transform.num_classes = self.num_classes

    def _features(self, tensors: Tensor) -> list[Tensor]:
        features = self.backbone(tensors)
        return [features[name] for name in self.in_features]

    def losses(
        self, images: list[Tensor] | Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """``loss_box``, ``loss_obj``, ``loss_cls`` (train and eval mode).

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.
            targets: per image ``boxes`` ``Float[N, 4]`` xyxy input-image pixels and ``labels``
                ``Int64[N]`` in ``1..K``; ``N = 0`` is a valid negative image.

        Raises:
            ValueError: naming the image and box when a target is invalid.
        """
        batch, targets = self.transform(images_to_list(images), target_list(targets))
        image_size = (int(batch.tensors.shape[-2]), int(batch.tensors.shape[-1]))
        return self.head.losses(self._features(batch.tensors), targets, image_size)

    @property
    def score_thresh(self) -> float:
        """Inference score threshold: :meth:`predict` drops detections scoring at most this
        (``inference.score_thresh``). ``infer.py --score-thr`` lowers it for one run."""
        return self.inference.score_thresh

    @score_thresh.setter
    def score_thresh(self, value: float) -> None:
        self.inference.score_thresh = checked_score_thresh(value)

    def predict(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Detect objects (call ``model.eval()`` first if the backbone has BatchNorm).

        Returns:
            one dict per image: ``boxes`` ``Float[D, 4]`` xyxy in that input image's pixels
            (clipped to it), ``scores`` ``Float[D]`` (decreasing), ``labels`` ``Int64[D]`` in
            ``1..K``.
        """
        images = images_to_list(images)
        original_sizes = [(int(im.shape[-2]), int(im.shape[-1])) for im in images]
        batch, _ = self.transform(images)
        image_size = (int(batch.tensors.shape[-2]), int(batch.tensors.shape[-1]))
        boxes, scores = self.head.candidates(self._features(batch.tensors), image_size)
        detections = [
            self._filter_per_image(b, s, size)
            for b, s, size in zip(boxes, scores, batch.image_sizes, strict=True)
        ]
        detections = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        return clip_to_images(detections, original_sizes)  # an ulp past the border: clipped

    def forward(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Same as :meth:`predict`."""
        return self.predict(images)

    def _filter_per_image(
        self, boxes: Tensor, scores: Tensor, image_size: tuple[int, int]
    ) -> dict[str, Tensor]:
        """Boxes ``Float[N, 4]`` and scores ``Float[N, K]`` -> final detections (resized px)."""
        cfg, num_classes = self.inference, scores.shape[-1]
        boxes = clip_boxes_to_image(boxes, image_size)
        has_area = (boxes[:, 2:] - boxes[:, :2] >= cfg.min_box_size).all(dim=1)  # [N]
        flat = scores.flatten()  # [N * K], box-major
        candidates = torch.where(
            (flat > cfg.score_thresh) & has_area.repeat_interleave(num_classes)
        )[0]
        top, order = flat[candidates].topk(min(cfg.pre_nms_top_n, candidates.numel()))
        candidates = candidates[order]
        box_index = torch.div(candidates, num_classes, rounding_mode="floor")
        kept_boxes = boxes[box_index]
        labels = candidates % num_classes + 1
        keep = filter_detections(
            kept_boxes, top, labels, cfg.score_thresh, cfg.nms_thresh, cfg.max_detections
        )
        return {"boxes": kept_boxes[keep], "scores": top[keep], "labels": labels[keep]}


# ----------------------------------------------------------------------------- builders


def yolo(
    num_classes: int,
    backbone: str = "resnet18",
    version: str = "v3",
    input_size: Annotated[int, Range(1)] | None = None,
    anchors: Sequence[Sequence[Sequence[float]]] | None = None,
    grid_size: int | None = None,
    boxes_per_cell: int | None = None,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName | None = None,
    norm_momentum: float | None = None,
    width_mult: float = 1.0,
    return_layers: Sequence[str] | None = None,
    neck_channels: int | None | VersionDefault = DEFAULT_NECK_CHANNELS,
    head_channels: int = 128,
    image_mean: Sequence[float] = IMAGENET_MEAN,
    image_std: Sequence[float] = IMAGENET_STD,
    loss: dict[str, Any] | None = None,
    inference: dict[str, Any] | None = None,
) -> YOLO:
    """YOLO (v1 grid or v3 multi-scale) on any detseg backbone.

    Args:
        num_classes: foreground classes ``K`` (labels ``1..K``).
        backbone: a name of ``detseg.backbones.BACKBONES`` (e.g. ``resnet18``, ``vgg16``,
            ``mobilenet_v3_large``).
        version: ``"v1"`` or ``"v3"``.
        input_size: side of the square network input; ``None``: 448 (v1) or 416 (v3).
        anchors: v3 priors, per level (finest first) a list of ``[w, h]`` in input pixels
            (``tools/anchors.py`` prints them); ``None``: YOLOv3's COCO priors scaled from
            416 px to ``input_size``. v1 has no anchors and refuses any value.
        grid_size, boxes_per_cell: v1 ``S`` and ``B``; ``None``: 7 and 2. v3 has no single
            grid (its grids follow the backbone levels) and refuses any value.
        backbone_weights: ``None``, ``"imagenet"`` or a local file.
        trainable_layers: backbone stages that train; ``None``: 3 with weights, else all.
        norm: ``"frozen_bn"`` or ``"bn"``; ``None``: frozen with weights, else ``"bn"``.
        norm_momentum: running-statistics momentum of every backbone BatchNorm; ``None``: 0.1
            without ``backbone_weights`` (from scratch), else the backbone's own (torchvision's
            MobileNets: 0.01).
        width_mult: MobileNet channel multiplier (other backbones: must be 1).
        return_layers: backbone levels used; ``None``: ``("c5",)`` (v1, which takes one
            level), ``("c3", "c4", "c5")`` (v3).
        neck_channels: v3 neck width (left out: 128), ``None`` for no neck; v1 has no neck
            and refuses a width. head_channels: head conv width.
        image_mean, image_std: input normalisation.
        loss: fields of :class:`YOLOv1LossConfig` or :class:`YOLOv3LossConfig` (e.g.
            ``{"box_loss": "smooth_l1", "ignore_thresh": 0.7}``).
        inference: fields of :class:`YOLOInferenceConfig`.
    """
    check_version_settings(
        version, anchors, grid_size, boxes_per_cell, neck_channels, return_layers
    )
    check_num_classes(num_classes)
    if input_size is None:
        input_size = 448 if version == "v1" else 416
    if input_size <= 0:
        raise ValueError(f"input_size must be positive, got {input_size}")
    neck_channels = neck_width(version, neck_channels)
    check_widths(head_channels, neck_channels)
    if return_layers is not None and len(return_layers) == 0:
        raise ValueError(
            "return_layers is empty: name the backbone levels to use (e.g. ['c3', 'c4', 'c5']) "
            "or drop return_layers for the version's default"
        )
    levels = list(return_layers or (("c5",) if version == "v1" else ("c3", "c4", "c5")))
    norm, trainable_layers = backbone_defaults(backbone_weights, norm, trainable_layers)
    body = build_model_backbone(
        backbone,
        levels,
        backbone_weights,
        trainable_layers,
        norm,
        width_mult,
        norm_momentum=norm_momentum,
    )
    in_features = list(body.out_channels)
    channels = [body.out_channels[n] for n in in_features]
    if version == "v1":
        head: YOLOv1GridHead | YOLOv3Head = YOLOv1GridHead(
            channels[-1],
            num_classes,
            7 if grid_size is None else grid_size,
            2 if boxes_per_cell is None else boxes_per_cell,
            head_channels,
            dataclass_from_dict(YOLOv1LossConfig, loss, "loss"),
        )
        in_features = in_features[-1:]
    else:
        priors = check_priors(
            default_priors(input_size, in_features) if anchors is None else anchors,
            len(in_features),
        )
        head = YOLOv3Head(
            channels,
            [body.strides[n] for n in in_features],
            priors,
            num_classes,
            None if neck_channels is None else int(neck_channels),
            head_channels,
            dataclass_from_dict(YOLOv3LossConfig, loss, "loss"),
        )
    transform = DetectionTransform(
        input_size,
        input_size,
        image_mean,
        image_std,
        fixed_size=(input_size, input_size),
        num_classes=num_classes,
    )
    return YOLO(
        body,
        head,
        transform,
        in_features,
        dataclass_from_dict(YOLOInferenceConfig, inference, "inference"),
    )


_PRESETS: dict[str, dict[str, Any]] = {
    "yolov1_resnet18": {"backbone": "resnet18", "version": "v1", "input_size": 448},
    "yolov3_resnet18": {"backbone": "resnet18", "version": "v3", "input_size": 416},
    "yolov3_mobilenet_v3_large": {
        "backbone": "mobilenet_v3_large",
        "version": "v3",
        "input_size": 416,
    },
}


def _preset(name: str) -> Any:
    """A builder ``(num_classes, **kwargs)`` = :func:`yolo` with the preset's defaults (its
    signature shows them, so config keys can be checked against it)."""
    defaults = _PRESETS[name]

    def builder(num_classes: int, **kwargs: Any) -> YOLO:
        return yolo(num_classes, **{**defaults, **kwargs})

    # a function type has no __signature__ attribute; inspect.signature() reads it
    builder.__signature__ = preset_signature(yolo, defaults)  # type: ignore[attr-defined]
    builder.__name__ = builder.__qualname__ = name
    builder.__doc__ = f"YOLO preset {defaults}; see :func:`yolo` for the keyword arguments."
    return builder


yolov1_resnet18 = _preset("yolov1_resnet18")
yolov3_resnet18 = _preset("yolov3_resnet18")
yolov3_mobilenet_v3_large = _preset("yolov3_mobilenet_v3_large")

#: Name -> builder, merged into ``detseg.models.MODELS``.
YOLO_MODELS: dict[str, Callable[..., YOLO]] = {
    "yolo": yolo,
    "yolov1_resnet18": yolov1_resnet18,
    "yolov3_resnet18": yolov3_resnet18,
    "yolov3_mobilenet_v3_large": yolov3_mobilenet_v3_large,
}
