"""Backbones: VGG16(-BN), ResNet-18/34/50/101, MobileNetV2/V3-Large, and FPN on top.

Every backbone follows the contract in ``base.py``: ``forward(x) -> OrderedDict`` of feature
maps, with ``out_channels`` and ``strides`` dicts. ``BACKBONES`` maps names to builders:

- plain: ``vgg16``, ``vgg16_bn``, ``resnet18``, ``resnet34``, ``resnet50``, ``resnet101``,
  ``mobilenet_v2``, ``mobilenet_v3_large`` (levels ``c*``);
- ``<plain>_fpn``: the same body with an FPN on all its returned levels (levels ``p*``),
  see ``build_fpn_backbone``.

torchvision's exact detection backbones (for ``from_torchvision``) come from
``resnet_fpn_backbone`` and ``mobilenet_fpn_backbone`` in ``fpn.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

from detseg.config.suggest import did_you_mean

from .base import (
    Backbone,
    NormSpec,
    scratch_norm_momentum,
    set_norm_statistics,
    to_frozen_batch_norm,
)
from .fpn import (
    FPN,
    BackboneWithFPN,
    FPNMaxPoolLevel,
    FPNNormSpec,
    FPNP6P7Levels,
    mobilenet_fpn_backbone,
    resnet_fpn_backbone,
)
from .mobilenet import MobileNetBackbone, mobilenet_backbone
from .resnet import ResNetBackbone, resnet_backbone
from .vgg import VGGBackbone, vgg_backbone
from .weights import WeightsSpec, imagenet_file_name

PLAIN_BACKBONES: dict[str, Callable[..., Backbone]] = {
    "vgg16": partial(vgg_backbone, "vgg16"),
    "vgg16_bn": partial(vgg_backbone, "vgg16_bn"),
    "resnet18": partial(resnet_backbone, "resnet18"),
    "resnet34": partial(resnet_backbone, "resnet34"),
    "resnet50": partial(resnet_backbone, "resnet50"),
    "resnet101": partial(resnet_backbone, "resnet101"),
    "mobilenet_v2": partial(mobilenet_backbone, "mobilenet_v2"),
    "mobilenet_v3_large": partial(mobilenet_backbone, "mobilenet_v3_large"),
}


def build_fpn_backbone(
    body_name: str,
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "frozen_bn",
    return_layers: Sequence[str] | None = None,
    out_channels: int = 256,
    extra_blocks: str | None = "maxpool",
    p6p7_from: str = "p5",
    fpn_norm: FPNNormSpec = None,
    **body_kwargs: Any,
) -> BackboneWithFPN:
    """A plain backbone from ``PLAIN_BACKBONES`` with an FPN over all its returned levels.

    Args:
        body_name: key of ``PLAIN_BACKBONES``.
        weights, trainable_layers, norm, return_layers, **body_kwargs: passed to the body builder.
        out_channels, extra_blocks, p6p7_from, fpn_norm: passed to ``BackboneWithFPN``.

    Returns:
        The body with its FPN; levels ``p*`` (see ``fpn.py``).

    Raises:
        KeyError: for a ``body_name`` not in ``PLAIN_BACKBONES``.
        ValueError: for an invalid body or FPN option.
    """
    body = PLAIN_BACKBONES[body_name](
        weights=weights,
        trainable_layers=trainable_layers,
        norm=norm,
        return_layers=return_layers,
        **body_kwargs,
    )
    return BackboneWithFPN(body, None, out_channels, extra_blocks, p6p7_from, fpn_norm)


BACKBONES: dict[str, Callable[..., Backbone]] = {
    **PLAIN_BACKBONES,
    **{f"{name}_fpn": partial(build_fpn_backbone, name) for name in PLAIN_BACKBONES},
}


def build_backbone(
    name: str,
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "frozen_bn",
    return_layers: Sequence[str] | None = None,
    **kwargs: Any,
) -> Backbone:
    """Build ``BACKBONES[name]``.

    Args:
        name: a key of ``BACKBONES``.
        weights: ``None``, a local state-dict file or ``"imagenet"`` (never downloads).
        trainable_layers: stages that train counted from the top; ``None`` = all.
        norm: ``"frozen_bn"``, ``"bn"`` (or a ``norm_layer`` callable for ResNet/MobileNet).
        return_layers: level names (``None`` = the backbone's default).
        **kwargs: builder-specific options (``replace_stride_with_dilation``, ``width_mult``,
            ``dilated``, ``out_channels``, ``extra_blocks``, ...).

    Returns:
        The backbone, following the contract in ``base.py``.

    Raises:
        ValueError: for an unknown name (the message lists the closest names), or an option
            the builder rejects.
    """
    if name not in BACKBONES:
        raise ValueError(
            f"unknown backbone {name!r}{did_you_mean(name, BACKBONES)} (all: {list(BACKBONES)})"
        )
    return BACKBONES[name](
        weights=weights,
        trainable_layers=trainable_layers,
        norm=norm,
        return_layers=return_layers,
        **kwargs,
    )


def build_model_backbone(
    name: str,
    levels: Sequence[str],
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "bn",
    width_mult: float = 1.0,
    norm_eps: float | None = None,
    norm_momentum: float | None = None,
    **kwargs: Any,
) -> Backbone:
    """``build_backbone`` as the model builders (detection and segmentation) use it.

    On top of :func:`build_backbone`: ``width_mult`` is checked (MobileNets only), and the
    norm statistics are set. Without weights every BatchNorm gets
    :data:`~detseg.backbones.base.SCRATCH_NORM_MOMENTUM` unless ``norm_momentum`` says
    otherwise (see :func:`~detseg.backbones.base.scratch_norm_momentum`).

    Args:
        name: a plain backbone of ``BACKBONES`` (``resnet50``, ``mobilenet_v3_large``, ...).
        levels: returned levels (``c1..c5``, ``c5_entry``).
        weights, trainable_layers, norm: see :func:`build_backbone`.
        width_mult: MobileNet channel multiplier (other families: 1.0 only).
        norm_eps: if set, the eps of every norm layer.
        norm_momentum: if set, the BatchNorm momentum (see above for ``None``).
        **kwargs: more builder options (``replace_stride_with_dilation``, ``dilated``).

    Returns:
        The backbone, returning ``levels``.

    Raises:
        ValueError: ``width_mult != 1`` on a backbone that is not a MobileNet, or any error of
            :func:`build_backbone`.
    """
    if name.startswith("mobilenet"):
        kwargs["width_mult"] = width_mult
    elif width_mult != 1.0:
        raise ValueError(
            f"width_mult={width_mult} needs a MobileNet backbone, got {name!r}; "
            "set width_mult to 1.0 (or remove it) or pick mobilenet_v2 / mobilenet_v3_large."
        )
    body = build_backbone(
        name,
        weights=weights,
        trainable_layers=trainable_layers,
        norm=norm,
        return_layers=list(levels),
        **kwargs,
    )
    set_norm_statistics(body, norm_eps, scratch_norm_momentum(weights, norm_momentum))
    return body


__all__ = [
    "BACKBONES",
    "FPN",
    "PLAIN_BACKBONES",
    "Backbone",
    "BackboneWithFPN",
    "FPNMaxPoolLevel",
    "FPNP6P7Levels",
    "MobileNetBackbone",
    "ResNetBackbone",
    "VGGBackbone",
    "build_backbone",
    "build_model_backbone",
    "build_fpn_backbone",
    "imagenet_file_name",
    "mobilenet_fpn_backbone",
    "resnet_fpn_backbone",
    "to_frozen_batch_norm",
]
