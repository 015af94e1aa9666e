"""Mask R-CNN = Faster R-CNN + a mask branch on the RoIs (He et al. 2017).

``MaskRCNN(backbone, rpn, roi_heads, transform, mask_head)`` adds a
:class:`~detseg.detection.mask_head.MaskRCNNHead` to the Faster R-CNN parts: in training it
predicts the masks of the foreground RoIs the box stage sampled (``loss_roi_mask``); at
inference it predicts the masks of the final detections and pastes them into each input image.
:func:`mask_rcnn` builds one on any Faster R-CNN configuration, and the presets reproduce
torchvision's ``maskrcnn_resnet50_fpn`` and ``maskrcnn_resnet50_fpn_v2``.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Literal, cast

import torch
from torch import Tensor

from detseg.backbones.base import Backbone
from detseg.config.checks import Range
from detseg.detection.builder_parts import check_widths, preset_signature
from detseg.detection.faster_rcnn import (
    _RESNET50_FPN,
    _RESNET50_FPN_V2,
    FasterRCNN,
    _merge,
    faster_rcnn,
)
from detseg.detection.mask_head import MaskRCNNHead, paste_masks_in_image
from detseg.detection.roi_heads import RoIHeads
from detseg.detection.roi_pooling import RoIPooler
from detseg.detection.rpn import RegionProposalNetwork
from detseg.detection.settings_checks import require_fractions
from detseg.detection.transform import DetectionTransform, clip_to_images
from detseg.detection.validation import images_to_list, target_list


class MaskRCNN(FasterRCNN):
    """Two-stage detector with instance masks.

    Args:
        backbone, rpn, roi_heads, transform: as :class:`FasterRCNN`.
        mask_head: the :class:`MaskRCNNHead` (its pooler picks the levels it pools from).
        mask_threshold: probability above which a mask pixel is foreground, for consumers that
            binarise the masks (``masks > mask_threshold``); :meth:`predict` returns
            probabilities.

    Attributes:
        task: ``"detection"``.
        has_masks: ``True``: targets need ``masks`` and predictions have them.
        num_classes: number of foreground classes ``K`` (labels ``1..K``).

    Raises:
        ValueError: If the mask head's channels do not fit ``K`` (``K + 1``, or 1 when
            class-agnostic), or ``mask_threshold`` is outside ``[0, 1]``.
    """

    has_masks = True

    def __init__(
        self,
        backbone: torch.nn.Module,
        rpn: RegionProposalNetwork,
        roi_heads: RoIHeads,
        transform: DetectionTransform,
        mask_head: MaskRCNNHead,
        mask_threshold: float = 0.5,
    ) -> None:
        super().__init__(backbone, rpn, roi_heads, transform)
        channels = mask_head.logits.out_channels
        if channels != (1 if mask_head.class_agnostic else self.num_classes + 1):
            raise ValueError(
                f"the mask head predicts {channels} channels; {self.num_classes} classes need "
                f"{self.num_classes + 1} (one per label, and background), or 1 with "
                "class_agnostic"
            )
        self.mask_head = mask_head
        self.mask_threshold = float(mask_threshold)
        # above 1 every mask would be empty, below 0 every one would fill its image
        require_fractions(self, "mask_threshold")

    def losses(
        self, images: list[Tensor] | Tensor, targets: list[dict[str, Tensor]]
    ) -> dict[str, Tensor]:
        """Training (or validation) losses; works in train and eval mode.

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.
            targets: per image ``boxes`` ``Float[N, 4]`` xyxy input-image pixels, ``labels``
                ``Int64[N]`` in ``1..K`` and ``masks`` ``UInt8[N, H_i, W_i]`` binary instance
                masks (not needed when ``N = 0``).

        Returns:
            ``loss_rpn_cls``, ``loss_rpn_box``, ``loss_roi_cls``, ``loss_roi_box``,
            ``loss_roi_mask`` (scalars; ``loss_roi_mask`` is the mean binary cross-entropy over
            the foreground RoIs' ``M x M`` mask pixels, exactly zero without any).

        Raises:
            ValueError: naming the image when an image or a target is invalid or its masks are
                missing or of the wrong shape.
            TypeError: for non-float images or boxes, or labels that are not int64.
        """
        images = images_to_list(images)
        batch, resized = self.transform(images, target_list(targets))
        assert resized is not None  # targets were given
        gt_masks = target_masks(resized, [(int(i.shape[-2]), int(i.shape[-1])) for i in images])
        features = self.backbone(batch.tensors)
        proposals, rpn_losses = self.rpn(batch, features, resized)
        heads = self.roi_heads
        sample = heads.sample(proposals, resized)
        roi_losses = heads.sample_losses(features, sample)
        mask_loss = self.mask_head.losses(
            features,
            sample.rois,
            sample.labels,
            sample.matched_gt,
            gt_masks,
            batch.image_sizes,
            max_foreground=heads.sampler.max_positives,
        )
        return {**rpn_losses, **roi_losses, "loss_roi_mask": mask_loss}

    def predict(self, images: list[Tensor] | Tensor) -> list[dict[str, Tensor]]:
        """Detect and segment objects; call ``model.eval()`` first.

        Args:
            images: ``Float[3, H_i, W_i]`` RGB in ``[0, 1]`` (list) or ``Float[B, 3, H, W]``.

        Returns:
            one dict per image: ``boxes`` ``Float[D, 4]`` xyxy in that input image's pixels
            (clipped to it), ``scores`` ``Float[D]`` (decreasing), ``labels`` ``Int64[D]`` in
            ``1..K`` and
            ``masks`` ``Float[D, 1, H_i, W_i]`` foreground probabilities in the input image
            (binarise with ``masks > model.mask_threshold``).

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
        masks = self.mask_head.predict(
            features, [d["boxes"] for d in detections], [d["labels"] for d in detections]
        )
        results = self.transform.postprocess(detections, batch.image_sizes, original_sizes)
        for result, mask, size in zip(results, masks, original_sizes, strict=True):
            result["masks"] = paste_masks_in_image(mask, result["boxes"], size)
        # after the pasting, which places the masks at torchvision's (unclipped) boxes
        return clip_to_images(results, original_sizes)


def target_masks(
    targets: list[dict[str, Tensor]], image_sizes: list[tuple[int, int]]
) -> list[Tensor]:
    """The ``masks`` of each target, checked against its boxes and image (host metadata only).

    Args:
        targets: per image ``boxes`` ``Float[N, 4]`` and ``masks`` ``UInt8[N, H, W]`` (not
            needed, and not read, when ``N = 0``).
        image_sizes: ``(H, W)`` of each input image.

    Returns:
        per image ``UInt8[N, H, W]`` (an empty tensor for an image without boxes).

    Raises:
        ValueError: naming the image whose masks are missing or of the wrong shape.
        TypeError: naming the image whose masks are not a tensor.
    """
    masks = []
    for i, (target, size) in enumerate(zip(targets, image_sizes, strict=True)):
        num = target["boxes"].shape[0]
        if num == 0:
            masks.append(torch.zeros((0, *size), dtype=torch.uint8, device=target["boxes"].device))
            continue
        if "masks" not in target:
            raise ValueError(
                f"target of image {i} has no 'masks' entry: Mask R-CNN trains on instance masks "
                "UInt8[N, H, W] (load the dataset with its masks, e.g. load_masks: true)"
            )
        mask = target["masks"]
        if not isinstance(mask, Tensor):
            raise TypeError(
                f"image {i}: 'masks' must be a torch.Tensor UInt8[N, H, W], got "
                f"{type(mask).__name__}; convert it with torch.as_tensor"
            )
        if mask.dim() != 3 or mask.shape[0] != num or tuple(mask.shape[1:]) != size:
            raise ValueError(
                f"image {i}: masks must be [N, H, W] = [{num}, {size[0]}, {size[1]}] (one per "
                f"box, the image's size), got {tuple(mask.shape)}"
            )
        masks.append(mask)
    return masks


# ----------------------------------------------------------------------------- builders


def mask_rcnn(
    num_classes: int,
    *,
    mask_pool_size: Annotated[int, Range(1)] = 14,
    mask_sampling_ratio: int = 2,
    mask_layers: Sequence[int] = (256, 256, 256, 256),
    mask_dilation: Annotated[int, Range(1)] = 1,
    mask_norm: Literal["bn"] | None = None,
    mask_dim_reduced: int = 256,
    mask_class_agnostic: bool = False,
    mask_threshold: Annotated[float, Range(0, 1)] = 0.5,
    **kwargs: Any,
) -> MaskRCNN:
    """Mask R-CNN on any Faster R-CNN configuration.

    Args:
        num_classes: foreground classes ``K`` (labels ``1..K``).
        mask_pool_size: RoIAlign side ``S`` of the mask features (masks are ``2S x 2S``).
        mask_sampling_ratio: RoIAlign samples per bin of the mask features.
        mask_layers: output channels of the mask head's 3x3 convs.
        mask_dilation: dilation of those convs.
        mask_norm: ``None`` or ``"bn"`` (BatchNorm after each conv; the v2 model).
        mask_dim_reduced: channels of the mask head's deconvolution.
        mask_class_agnostic: one mask for every class instead of one per class.
        mask_threshold: the model's ``mask_threshold`` (see :class:`MaskRCNN`).
        **kwargs: the keyword arguments of :func:`~detseg.detection.faster_rcnn.faster_rcnn`
            (backbone, a name or a backbone module of one's own; FPN, RPN, RoI heads,
            transform); the masks pool from the levels the boxes pool from.

    Returns:
        The untrained :class:`MaskRCNN` (backbone weights aside).

    Raises:
        ValueError: for an invalid Faster R-CNN setting (see :func:`faster_rcnn`: a backbone
            module that breaks the contract, or a named backbone's option set with one, too)
            or ``mask_norm``, ``mask_threshold`` outside ``[0, 1]``, a mask head width
            (``mask_layers``, ``mask_dim_reduced``) below 1, or a ``mask_pool_size`` or
            ``mask_dilation`` that is not a whole number >= 1 (the config checks these bounds
            when it is loaded: ``model.mask_pool_size``).
    """
    layer_widths = {f"mask_layers[{i}]": width for i, width in enumerate(mask_layers)}
    check_widths(mask_dim_reduced=mask_dim_reduced, **layer_widths)
    for name, value in (("mask_pool_size", mask_pool_size), ("mask_dilation", mask_dilation)):
        # 0 or less builds, then fails in the first forward pass (a kernel larger than its
        # input, a non-positive dilation)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    base = faster_rcnn(num_classes, **kwargs)
    box_pooler = base.roi_heads.pooler
    pooler = RoIPooler(
        box_pooler.featmap_names,
        box_pooler.strides,
        mask_pool_size,
        "align",
        mask_sampling_ratio,
        box_pooler.canonical_scale,
        box_pooler.canonical_level,
    )
    channels = cast(Backbone, base.backbone).out_channels[box_pooler.featmap_names[0]]
    head = MaskRCNNHead(
        pooler,
        channels,
        num_classes,
        tuple(mask_layers),
        mask_dilation,
        mask_norm,
        mask_dim_reduced,
        mask_class_agnostic,
    )
    return MaskRCNN(base.backbone, base.rpn, base.roi_heads, base.transform, head, mask_threshold)


def _mask_rcnn_signature() -> inspect.Signature:
    """``mask_rcnn``'s own parameters with :func:`faster_rcnn`'s in place of ``**kwargs`` (so
    ``build_model`` checks a config's keys against both)."""
    own = inspect.signature(mask_rcnn)
    head, *mask_params = [p for p in own.parameters.values() if p.kind != p.VAR_KEYWORD]
    box_params = [
        p.replace(kind=p.KEYWORD_ONLY)
        for p in inspect.signature(faster_rcnn).parameters.values()
        if p.name != "num_classes"
    ]
    return own.replace(parameters=[head, *box_params, *mask_params])


# a function type has no __signature__ attribute; inspect.signature() reads it
mask_rcnn.__signature__ = _mask_rcnn_signature()  # type: ignore[attr-defined]

_MASK_RCNN_RESNET50_FPN_V2: dict[str, Any] = {**_RESNET50_FPN_V2, "mask_norm": "bn"}


def mask_rcnn_resnet50_fpn(num_classes: int, **kwargs: Any) -> MaskRCNN:
    """ResNet-50-FPN Mask R-CNN (torchvision ``maskrcnn_resnet50_fpn``); see :func:`mask_rcnn`
    for the keyword arguments."""
    return mask_rcnn(num_classes, **_merge(_RESNET50_FPN, kwargs))


def mask_rcnn_resnet50_fpn_v2(num_classes: int, **kwargs: Any) -> MaskRCNN:
    """The improved ResNet-50-FPN model (torchvision ``maskrcnn_resnet50_fpn_v2``): BN in the
    FPN and in the mask head, two RPN convs, a 4conv1fc box head."""
    return mask_rcnn(num_classes, **_merge(_MASK_RCNN_RESNET50_FPN_V2, kwargs))


for _builder, _defaults in (
    (mask_rcnn_resnet50_fpn, _RESNET50_FPN),
    (mask_rcnn_resnet50_fpn_v2, _MASK_RCNN_RESNET50_FPN_V2),
):
    _builder.__signature__ = preset_signature(mask_rcnn, _defaults)  # type: ignore[attr-defined]

MASK_RCNN_MODELS: dict[str, Callable[..., MaskRCNN]] = {
    "mask_rcnn": mask_rcnn,
    "mask_rcnn_resnet50_fpn": mask_rcnn_resnet50_fpn,
    "mask_rcnn_resnet50_fpn_v2": mask_rcnn_resnet50_fpn_v2,
}
