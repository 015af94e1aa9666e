"""Builders: one per family (``fcn``, ``deeplabv3``, ``deeplabv3plus``, ``lraspp``, ``fcn_vgg16``,
``unet``, ``unet_backbone``) and named presets on top (``deeplabv3_resnet50``, ...).

Every builder is ``builder(num_classes, **kwargs) -> SegmentationModel`` where ``num_classes``
counts the *foreground* classes ``K`` (labels ``1..K``); the logits have ``K + 1`` channels,
channel 0 being background. Keyword arguments shared by the builders:

- ``backbone_weights``: ``None`` (random), ``"imagenet"`` or a local file (see
  ``detseg.backbones``; never downloads).
- ``trainable_layers``: backbone stages that train (``None``: all). ``norm``: backbone norm,
  ``"bn"`` (default, as torchvision's segmentation models) or ``"frozen_bn"``.
- ``width_mult``: MobileNet channel multiplier (1.0; 0.5 halves the widths, about a third of
  the compute).
- ``loss``: the training loss, a :class:`~detseg.segmentation.settings.SegmentationLossConfig`
  or a dict of its fields (``kind``, ``dice_weight``, ``aux_weight``, ``boundary_weight``,
  ``size``, ``target_downsampling``); ``None``: cross-entropy at the input size.
- ``input``: the input preparation, a
  :class:`~detseg.segmentation.settings.SegmentationInputConfig` or a dict of its fields
  (``image_mean``, ``image_std``, ``per_image_norm``, ``scale``); ``None``: ImageNet
  normalisation at the input size.

Dilated backbones (``output_stride``) and the levels each family reads: see
``backbone_levels.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from torch import nn

from detseg.backbones.base import Backbone, NormName
from detseg.config.checks import Range
from detseg.config.model_arg_rules import Refused

from .backbone_levels import LEVEL_ROLES, UNET_LEVELS, backbone_family, segmentation_backbone
from .fcn_vgg import FcnVariant, FCNVGGHead
from .heads import DeepLabV3Head, DeepLabV3PlusHead, FCNHead, LRASPPHead, default_atrous_rates
from .model import SegmentationModel
from .settings import (
    InputSection,
    LossSection,
    SegmentationInputConfig,
    SegmentationLossConfig,
    input_config,
    loss_config,
)
from .unet import UNetDecoder, UNetEncoder, UNetNorm, UpsamplingMode


def _assemble(
    backbone: Backbone,
    head: nn.Module,
    num_classes: int,
    loss: SegmentationLossConfig,
    input: SegmentationInputConfig,
    aux_head: nn.Module | None = None,
    size_divisible: int = 1,
) -> SegmentationModel:
    """``SegmentationModel`` from its parts and the ``loss`` / ``input`` settings."""
    return SegmentationModel(
        backbone,
        head,
        num_classes,
        aux_head,
        loss.segmentation_loss(),
        input.image_mean,
        input.image_std,
        size_divisible,
        input.per_image_norm,
        input.scale,
        loss.size,
        loss.target_downsampling,
    )


def _check_num_classes(num_classes: int) -> None:
    """Raise ``ValueError`` unless ``num_classes >= 1``."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1 (foreground classes), got {num_classes}.")


def _atrous_rates(atrous_rates: Sequence[int] | None, output_stride: int) -> tuple[int, ...]:
    """The given ASPP rates, or :func:`default_atrous_rates` for ``output_stride`` when ``None``."""
    if atrous_rates is not None:
        return tuple(atrous_rates)
    return default_atrous_rates(output_stride)


def _single_level_model(
    num_classes: int,
    backbone: str,
    output_stride: int,
    aux_loss: bool,
    make_head: Callable[[int, int, str], nn.Module],
    backbone_weights: str | None,
    trainable_layers: int | None,
    norm: str,
    width_mult: float,
    loss: LossSection,
    input: InputSection,
) -> SegmentationModel:
    """Backbone deep level -> ``make_head(channels, num_logits, level)`` (+ FCN aux head)."""
    _check_num_classes(num_classes)
    loss, input = loss_config(loss), input_config(input)
    _, aux_level, deep = LEVEL_ROLES[backbone_family(backbone)]
    levels = (aux_level, deep) if aux_loss else (deep,)
    body = segmentation_backbone(
        backbone, levels, output_stride, backbone_weights, trainable_layers, norm, width_mult
    )
    head = make_head(body.out_channels[deep], num_classes + 1, deep)
    aux = FCNHead(body.out_channels[aux_level], num_classes + 1, aux_level) if aux_loss else None
    return _assemble(body, head, num_classes, loss, input, aux)


def fcn(
    num_classes: int,
    backbone: str = "resnet50",
    output_stride: int = 8,
    aux_loss: bool = False,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName = "bn",
    width_mult: float = 1.0,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """FCN head (torchvision style) on a dilated backbone's deep level; optional FCN aux head.

    Args:
        num_classes: foreground classes ``K``.
        backbone: a plain backbone name (ResNet, MobileNet or VGG16).
        output_stride: stride of the deep level (see ``backbone_levels.py``).
        aux_loss: add an auxiliary ``FCNHead`` on the auxiliary level (``loss_aux``).
        Others: see the module docstring.

    Returns:
        A ``SegmentationModel`` with ``K + 1`` logit channels.

    Raises:
        ValueError: ``num_classes < 1``, an unsupported backbone or ``output_stride``, or a
            bad ``loss`` / ``input`` section.
    """
    return _single_level_model(
        num_classes,
        backbone,
        output_stride,
        aux_loss,
        FCNHead,
        backbone_weights,
        trainable_layers,
        norm,
        width_mult,
        loss,
        input,
    )


def deeplabv3(
    num_classes: int,
    backbone: str = "resnet50",
    output_stride: int = 8,
    atrous_rates: Sequence[int] | None = None,
    aux_loss: bool = False,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName = "bn",
    width_mult: float = 1.0,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """DeepLabV3 (ASPP head) on a dilated backbone; optional FCN aux head.

    Args:
        atrous_rates: ASPP rates; ``None`` = ``(6, 12, 18)`` at output stride 16, ``(12, 24,
            36)`` at 8 (:func:`default_atrous_rates`).
        Others: as :func:`fcn`.

    Raises:
        ValueError: as :func:`fcn`, or ``atrous_rates=None`` with an output stride other
            than 8 or 16.
    """
    rates = _atrous_rates(atrous_rates, output_stride)

    def make_head(channels: int, num_logits: int, level: str) -> nn.Module:
        return DeepLabV3Head(channels, num_logits, rates, level)

    return _single_level_model(
        num_classes,
        backbone,
        output_stride,
        aux_loss,
        make_head,
        backbone_weights,
        trainable_layers,
        norm,
        width_mult,
        loss,
        input,
    )


def deeplabv3plus(
    num_classes: int,
    backbone: str = "resnet50",
    output_stride: int = 16,
    atrous_rates: Sequence[int] | None = None,
    aux_loss: bool = False,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName = "bn",
    width_mult: float = 1.0,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """DeepLabV3+: ASPP on the deep level plus a decoder on the stride-4 low level.

    Args: as :func:`deeplabv3` (default output stride 16, as in the paper).

    Raises:
        ValueError: as :func:`deeplabv3`.
    """
    _check_num_classes(num_classes)
    loss, input = loss_config(loss), input_config(input)
    low, aux_level, deep = LEVEL_ROLES[backbone_family(backbone)]
    rates = _atrous_rates(atrous_rates, output_stride)
    levels = (low, aux_level, deep) if aux_loss else (low, deep)
    body = segmentation_backbone(
        backbone, levels, output_stride, backbone_weights, trainable_layers, norm, width_mult
    )
    channels = body.out_channels
    head = DeepLabV3PlusHead(channels[low], channels[deep], num_classes + 1, rates, low, deep)
    aux = FCNHead(channels[aux_level], num_classes + 1, aux_level) if aux_loss else None
    return _assemble(body, head, num_classes, loss, input, aux)


#: Why :func:`lraspp` refuses ``aux_loss=True`` (from Python and from a config).
LRASPP_HAS_NO_AUX = (
    "lraspp has no auxiliary head (LR-ASPP trains on its one output): set aux_loss to false "
    "or drop it, or use fcn, deeplabv3 or deeplabv3plus for an auxiliary FCN head"
)


def lraspp(
    num_classes: int,
    backbone: str = "mobilenet_v3_large",
    output_stride: int = 16,
    inter_channels: int = 128,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName = "bn",
    width_mult: float = 1.0,
    loss: LossSection = None,
    input: InputSection = None,
    aux_loss: Annotated[bool, Refused(True, LRASPP_HAS_NO_AUX)] = False,
) -> SegmentationModel:
    """Lite R-ASPP on MobileNetV3-Large (low level ``c3``, stride 8; high ``c5``, stride 16).

    Args:
        inter_channels: width of the high branch (128).
        aux_loss: LR-ASPP has no auxiliary head; ``True`` is refused (as torchvision's
            ``lraspp_mobilenet_v3_large`` refuses it), ``False`` is accepted.
        Others: as :func:`fcn`.

    Raises:
        ValueError: as :func:`fcn`, ``aux_loss=True``, or a backbone that is not a MobileNet.
    """
    if aux_loss:
        raise ValueError(f"aux_loss=True: {LRASPP_HAS_NO_AUX}")
    _check_num_classes(num_classes)
    if inter_channels < 1:
        raise ValueError(f"inter_channels must be >= 1 (channels of a layer), got {inter_channels}")
    loss, input = loss_config(loss), input_config(input)
    if backbone_family(backbone) != "mobilenet":
        raise ValueError(f"lraspp needs a MobileNet backbone, got {backbone!r}.")
    body = segmentation_backbone(
        backbone, ("c3", "c5"), output_stride, backbone_weights, trainable_layers, norm, width_mult
    )
    head = LRASPPHead(
        body.out_channels["c3"], body.out_channels["c5"], num_classes + 1, inter_channels
    )
    return _assemble(body, head, num_classes, loss, input)


def fcn_vgg16(
    num_classes: int,
    variant: FcnVariant = "8s",
    fc_channels: int = 4096,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """The classic FCN-32s/16s/8s on VGG16 (see ``fcn_vgg.py``).

    Args:
        variant: ``"32s"``, ``"16s"`` or ``"8s"``.
        fc_channels: ``fc6`` / ``fc7`` width (4096).
        Others: see the module docstring. Input is padded to a multiple of 32 internally.

    Raises:
        ValueError: ``num_classes < 1``, an unknown ``variant``, or a bad ``loss`` /
            ``input`` section.
    """
    _check_num_classes(num_classes)
    if fc_channels < 1:
        raise ValueError(f"fc_channels must be >= 1 (channels of a layer), got {fc_channels}")
    loss, input = loss_config(loss), input_config(input)
    head = FCNVGGHead(num_classes + 1, variant, fc_channels)
    body = segmentation_backbone("vgg16", head.in_features, 16, backbone_weights, trainable_layers)
    return _assemble(body, head, num_classes, loss, input, size_divisible=32)


def unet(
    num_classes: int,
    depth: Annotated[int, Range(1)] = 4,
    base_channels: int = 64,
    upsampling: UpsamplingMode = "transpose",
    norm: UNetNorm | None = "bn",
    stem_stride: Annotated[int, Range(1, 2)] = 1,
    deep_supervision: bool = False,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """Classic U-Net trained from scratch; logits have the input size for any ``H, W``.

    Args:
        depth: number of downsamplings (4).
        base_channels: width of the first level (64).
        upsampling: ``"transpose"`` (2x2 up-conv) or ``"bilinear"``.
        norm: ``"bn"`` or ``None`` (the paper: no normalisation).
        stem_stride: 1 (the paper) or 2 (the network runs at half resolution from a stride-2
            first conv; its logits are upsampled bilinearly).
        deep_supervision: train the outputs of the coarser up blocks too (``loss_deep``; see
            ``UNetDecoder``).
        Others: module docstring.

    Raises:
        ValueError: ``num_classes < 1``, a bad U-Net setting (see ``UNetEncoder`` and
            ``UNetDecoder``), or a bad ``loss`` / ``input`` section.
    """
    _check_num_classes(num_classes)
    loss, input = loss_config(loss), input_config(input)
    encoder = UNetEncoder(3, base_channels, depth, norm, stem_stride)
    decoder = UNetDecoder(
        encoder.out_channels,
        encoder.strides,
        num_classes + 1,
        upsampling=upsampling,
        norm=norm,
        deep_supervision=deep_supervision,
    )
    return _assemble(encoder, decoder, num_classes, loss, input)


def unet_backbone(
    num_classes: int,
    backbone: str = "resnet34",
    decoder_channels: Sequence[int] | None = None,
    upsampling: UpsamplingMode = "transpose",
    deep_supervision: bool = False,
    backbone_weights: str | None = None,
    trainable_layers: int | None = None,
    norm: NormName = "bn",
    width_mult: float = 1.0,
    loss: LossSection = None,
    input: InputSection = None,
) -> SegmentationModel:
    """U-Net decoder on a ResNet / VGG / MobileNet pyramid (levels ``c1..c5``, no dilation).

    Args:
        decoder_channels: width of the 4 up blocks, coarse to fine (``None``: skip widths).
        upsampling: ``"transpose"`` or ``"bilinear"``.
        deep_supervision: train the outputs of the coarser up blocks too (see ``unet``).
        width_mult: MobileNet channel multiplier (see ``segmentation_backbone``).
        Others: see the module docstring.

    Raises:
        ValueError: ``num_classes < 1``, an unsupported backbone, ``decoder_channels`` of a
            length other than 4, or a bad ``loss`` / ``input`` section.
    """
    _check_num_classes(num_classes)
    loss, input = loss_config(loss), input_config(input)
    family = backbone_family(backbone)
    body = segmentation_backbone(
        backbone,
        UNET_LEVELS,
        16 if family == "vgg" else 32,
        backbone_weights,
        trainable_layers,
        norm,
        width_mult,
    )
    decoder = UNetDecoder(
        body.out_channels,
        body.strides,
        num_classes + 1,
        decoder_channels,
        upsampling,
        deep_supervision=deep_supervision,
    )
    # VGG's plain 2x2 pools (floor, no padding) leave nothing of a side under 16 px: the
    # normalised image is padded to a multiple of the pyramid's stride, as FCN-VGG's is to 32
    size_divisible = max(body.strides.values()) if family == "vgg" else 1
    return _assemble(body, decoder, num_classes, loss, input, size_divisible=size_divisible)
