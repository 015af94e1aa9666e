"""The feature extractor of RetinaNet: a detseg backbone with an FPN P3-P7.

A named detseg backbone (ResNet, MobileNet, VGG: levels ``c3, c4, c5`` by default,
:data:`RETINANET_LEVELS`) or a backbone module of one's own, with an FPN over its levels and
the two extra levels P6 / P7 (P6 from P5 for v1, from C5 for v2). Separate from
:mod:`~detseg.detection.retinanet`, which holds the detector, its settings and its builders,
as :mod:`~detseg.detection.two_stage_backbone` is for Faster R-CNN.
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from detseg.backbones import build_model_backbone
from detseg.backbones.fpn import BackboneWithFPN
from detseg.detection.builder_parts import (
    backbone_family,
    backbone_module_levels,
    check_backbone_module,
)

__all__ = ["RETINANET_LEVELS", "retinanet_fpn_backbone", "retinanet_module_fpn_backbone"]

RETINANET_LEVELS = {
    "resnet": ("c3", "c4", "c5"),
    "mobilenet": ("c3", "c4", "c5"),
    "vgg": ("c3", "c4", "c5"),
}


def _family(backbone: str) -> str:
    """``"resnet"``, ``"mobilenet"`` or ``"vgg"`` from the name's prefix; else ``ValueError``."""
    for family in ("resnet", "mobilenet", "vgg"):
        if backbone.startswith(family):
            return family
    raise ValueError(f"backbone {backbone!r} is not a ResNet, MobileNet or VGG of detseg.backbones")


def retinanet_fpn_backbone(
    backbone: str,
    weights: str | None,
    trainable_layers: int | None,
    norm: str,
    return_layers: Sequence[str] | None,
    fpn_channels: int,
    p6p7_from: str,
    width_mult: float,
    norm_eps: float | None,
    norm_momentum: float | None = None,
) -> BackboneWithFPN:
    """Plain detseg backbone + FPN with P6/P7 (levels ``p3..p7`` for ``c3..c5``).

    Raises:
        ValueError: for a backbone that is not a ResNet, MobileNet or VGG, or an invalid
            backbone or FPN setting.
    """
    family = _family(backbone)
    levels = list(return_layers or RETINANET_LEVELS[family])
    body = build_model_backbone(
        backbone,
        levels,
        weights,
        trainable_layers,
        norm,
        width_mult,
        norm_eps,
        norm_momentum,
    )
    return BackboneWithFPN(body, levels, fpn_channels, "p6p7", p6p7_from)


def retinanet_module_fpn_backbone(
    module: nn.Module,
    return_layers: Sequence[str] | None,
    fpn_channels: int,
    p6p7_from: str,
) -> BackboneWithFPN:
    """:func:`retinanet_fpn_backbone` on a backbone module of one's own instead of a name.

    Args:
        module: a module following the backbone contract (``detseg/backbones/base.py``), used
            as it is as the FPN's body (weights, frozen layers and norm layers are its own).
        return_layers: levels of ``module`` fed to the FPN; ``None``: ``RETINANET_LEVELS``
            for a plain detseg backbone that has them, else every level of ``module``.
        fpn_channels, p6p7_from: FPN width and the input of P6.

    Returns:
        The FPN (levels ``p*`` plus P6/P7) with ``body=module``.

    Raises:
        ValueError: for a module that breaks the contract or lacks a ``return_layers``
            level, or an invalid FPN setting.
    """
    body = check_backbone_module(module)
    family = backbone_family(body)
    default = None if family is None else RETINANET_LEVELS[family]
    levels = backbone_module_levels(body, return_layers, default)
    return BackboneWithFPN(body, levels, fpn_channels, "p6p7", p6p7_from)
