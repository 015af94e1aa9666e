"""The feature extractor of a two-stage detector (Faster R-CNN, Mask R-CNN) and its anchors.

A named detseg backbone (:data:`BACKBONE_FAMILY`) or a backbone module of one's own, with an
FPN (+ a max-pool level) over its levels or one feature map without; the default anchor sizes
follow the strides of the levels the RPN reads (:func:`default_anchors`).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from detseg.backbones import build_model_backbone
from detseg.backbones.base import Backbone
from detseg.backbones.fpn import BackboneWithFPN
from detseg.config.suggest import did_you_mean
from detseg.detection.builder_parts import (
    BackboneLevels,
    backbone_family,
    backbone_module_levels,
    check_backbone_module,
)

BACKBONE_FAMILY = {
    "resnet18": "resnet",
    "resnet34": "resnet",
    "resnet50": "resnet",
    "resnet101": "resnet",
    "mobilenet_v2": "mobilenet",
    "mobilenet_v3_large": "mobilenet",
    "vgg16": "vgg",
    "vgg16_bn": "vgg",
}
# levels fed to the FPN (torchvision's choices for ResNet and MobileNet), or the single level
_FPN_LEVELS = {
    "resnet": ("c2", "c3", "c4", "c5"),
    "mobilenet": ("c5_entry", "c5"),
    "vgg": ("c3", "c4", "c5"),
}
_SINGLE_LEVEL = {"resnet": ("c4",), "mobilenet": ("c5",), "vgg": ("c5",)}


def default_anchors(strides: list[int]) -> tuple[tuple[tuple[int, ...], ...], tuple]:
    """Anchor sizes/ratios per level: ``8 * stride`` per level when the strides increase
    (32..512 on an FPN p2..p6), else the paper's ``(128, 256, 512)`` for one level, else
    ``(32, 64, 128, 256, 512)`` on every level; ratios ``(0.5, 1, 2)`` everywhere."""
    if len(strides) == 1:
        sizes: tuple = ((128, 256, 512),)
    elif all(a < b for a, b in zip(strides[:-1], strides[1:], strict=True)):
        sizes = tuple((8 * s,) for s in strides)
    else:
        sizes = ((32, 64, 128, 256, 512),) * len(strides)
    return sizes, ((0.5, 1.0, 2.0),) * len(strides)


def detection_backbone(
    name: str,
    fpn: bool,
    weights: str | None,
    trainable_layers: int | None,
    norm: str,
    return_layers: Sequence[str] | None = None,
    fpn_channels: int = 256,
    fpn_norm: str | None = None,
    width_mult: float = 1.0,
    norm_eps: float | None = None,
    norm_momentum: float | None = None,
) -> tuple[Backbone, list[str]]:
    """Backbone (optionally + FPN with a max-pool extra level) and the levels RoIs pool from.

    Args:
        name: a key of ``BACKBONE_FAMILY``.
        fpn: add an FPN (+ max-pool level); ``return_layers`` then defaults to
            ``_FPN_LEVELS``, else to ``_SINGLE_LEVEL``.
        weights, trainable_layers, norm, width_mult, norm_eps, norm_momentum: see
            :func:`~detseg.backbones.build_model_backbone`.
        return_layers: backbone levels used (``None``: the family's default).
        fpn_channels, fpn_norm: FPN width and norm.

    Returns:
        the backbone (``out_channels``/``strides`` dicts) and the names of the pooled levels
        (every level but the FPN's extra one).

    Raises:
        ValueError: for an unknown backbone, or, without FPN, levels of unequal channels.
    """
    if name not in BACKBONE_FAMILY:
        hint = did_you_mean(name, BACKBONE_FAMILY)
        raise ValueError(f"unknown backbone '{name}'{hint} (choose from {list(BACKBONE_FAMILY)})")
    family = BACKBONE_FAMILY[name]
    levels = list(return_layers or (_FPN_LEVELS if fpn else _SINGLE_LEVEL)[family])
    body = build_model_backbone(
        name, levels, weights, trainable_layers, norm, width_mult, norm_eps, norm_momentum
    )
    if not fpn:
        channels = set(body.out_channels.values())
        if len(channels) != 1:
            raise ValueError(
                f"without an FPN every level needs the same channels, got "
                f"{body.out_channels}; pass one level in return_layers or fpn=True"
            )
        return body, list(body.out_channels)
    backbone = BackboneWithFPN(body, levels, fpn_channels, "maxpool", norm_layer=fpn_norm)
    return backbone, list(backbone.out_channels)[: len(backbone.in_features)]


def module_detection_backbone(
    module: nn.Module,
    fpn: bool,
    return_layers: Sequence[str] | None = None,
    fpn_channels: int = 256,
    fpn_norm: str | None = None,
) -> tuple[Backbone, list[str]]:
    """:func:`detection_backbone` on a backbone module of one's own instead of a name.

    Args:
        module: a module following the backbone contract (``detseg/backbones/base.py``); it
            is used as it is (weights, frozen layers and norm layers are its own).
        fpn: add an FPN (+ max-pool level) on ``return_layers``.
        return_layers: levels of ``module`` used; ``None``: the family's default levels for a
            plain detseg backbone that has them (``_FPN_LEVELS`` / ``_SINGLE_LEVEL``), else
            every level of ``module``.
        fpn_channels, fpn_norm: FPN width and norm.

    Returns:
        the backbone (``module``; or ``BackboneWithFPN`` with ``body=module``; or, without FPN
        on a subset of the levels, :class:`BackboneLevels` with ``body=module``) and the
        names of the pooled levels.

    Raises:
        ValueError: for a module that breaks the contract, a ``return_layers`` level it
            lacks, or, without FPN, levels of unequal channels.
    """
    body = check_backbone_module(module)
    family = backbone_family(body)
    default = None if family is None else (_FPN_LEVELS if fpn else _SINGLE_LEVEL)[family]
    levels = backbone_module_levels(body, return_layers, default)
    if fpn:
        backbone = BackboneWithFPN(body, levels, fpn_channels, "maxpool", norm_layer=fpn_norm)
        return backbone, list(backbone.out_channels)[: len(backbone.in_features)]
    if levels != list(body.out_channels):
        body = BackboneLevels(body, levels)
    if len(set(body.out_channels.values())) != 1:
        raise ValueError(
            f"without an FPN every level needs the same channels, got {body.out_channels} "
            "from the backbone module; pass one level in return_layers or fpn=True"
        )
    return body, levels
