"""What the detector builders (Faster R-CNN, RetinaNet, SSD, YOLO) share.

- :func:`backbone_defaults`: torchvision's training defaults for the plain backbone under a
  detector (frozen BatchNorm and 3 trainable stages with pretrained weights; trainable
  BatchNorm from scratch). The backbone itself comes from
  :func:`detseg.backbones.build_model_backbone` (PyTorch's BatchNorm momentum from scratch);
  :func:`scratch_norm_momentum` gives that momentum rule to SSD, which builds its network
  itself.
- :func:`preset_signature`: a preset builder's signature, so ``build_model`` can check the
  keyword arguments of a config against it.
- :func:`check_anchors_fit_levels`: ``anchor_sizes`` / ``aspect_ratios`` against the
  backbone's levels (RPN, RetinaNet), when the model is built rather than at its first call.
- A backbone passed as a module instead of a name (Faster R-CNN, Mask R-CNN, RetinaNet):
  :func:`check_backbone_module` (the contract), :func:`refuse_named_backbone_options`,
  :func:`backbone_module_levels` (the levels used) and :class:`BackboneLevels` (a module's
  subset of levels, without an FPN).
"""

from __future__ import annotations

import inspect
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Any, cast

from torch import Tensor, nn

from detseg.backbones.base import (  # noqa: F401 (re-exported for the builders)
    SCRATCH_NORM_MOMENTUM,
    Backbone,
    NormName,
    scratch_norm_momentum,
)
from detseg.backbones.mobilenet import MobileNetBackbone
from detseg.backbones.resnet import ResNetBackbone
from detseg.backbones.vgg import VGGBackbone
from detseg.detection.backbone_probe import probe_backbone
from detseg.ops.anchors import AnchorGenerator


def check_num_classes(num_classes: int) -> None:
    """Raise ``ValueError`` unless ``num_classes`` (foreground classes ``K``) is >= 1."""
    if num_classes < 1:
        raise ValueError(f"num_classes must be >= 1 (foreground classes), got {num_classes}")


def check_widths(**widths: int) -> None:
    """Raise ``ValueError`` naming the first of ``widths`` (a layer's channels) below 1: a
    0-channel layer builds, then fails at the first call or feeds a head no features."""
    for name, value in widths.items():
        if not value >= 1:
            raise ValueError(f"{name} must be >= 1 (channels of a layer), got {value}")


def backbone_defaults(
    weights: str | None, norm: NormName | None, trainable_layers: int | None
) -> tuple[NormName, int | None]:
    """Fill in ``norm`` and ``trainable_layers`` left as ``None``.

    Args:
        weights: The backbone weights (``None``: random init).
        norm: ``"frozen_bn"``, ``"bn"`` or ``None``: frozen with weights, else ``"bn"``.
        trainable_layers: Stages that train, or ``None``: 3 with weights, else all (``None``).

    Returns:
        ``(norm, trainable_layers)``.
    """
    norm = norm or ("frozen_bn" if weights else "bn")
    if trainable_layers is None and weights:
        trainable_layers = 3
    return norm, trainable_layers


def preset_signature(builder: Callable[..., Any], defaults: dict[str, Any]) -> inspect.Signature:
    """``builder``'s signature with a preset's defaults (so ``build_model`` can check kwargs)."""
    signature = inspect.signature(builder)
    params = [
        p.replace(default=defaults.get(p.name, p.default)) for p in signature.parameters.values()
    ]
    return signature.replace(parameters=params)


def check_anchors_fit_levels(anchors: AnchorGenerator, strides: Sequence[int]) -> None:
    """Raise ``ValueError`` naming ``anchor_sizes`` unless ``anchors`` has one level per
    backbone feature level (of ``strides``) and as many anchors per location at each level
    (the head, shared by the levels, predicts that many per cell)."""
    if len(anchors.sizes) != len(strides):
        raise ValueError(
            f"anchor_sizes has {len(anchors.sizes)} levels but the backbone gives "
            f"{len(strides)} feature levels (strides {list(strides)}): give one tuple of sizes "
            "(and of aspect_ratios) per level, or drop anchor_sizes for the defaults"
        )
    counts = anchors.num_anchors_per_location()
    if len(set(counts)) > 1:
        raise ValueError(
            f"anchor_sizes x aspect_ratios give {counts} anchors per location at the "
            f"{len(counts)} levels, but one head shared by the levels predicts the same count "
            "at each: give every level as many sizes and as many aspect ratios"
        )


# ----------------------------------------------------------------------------- backbone modules

#: Builder options that only apply to a backbone given by name, with their defaults: a
#: backbone module comes with its own weights, frozen layers and norm layers.
NAMED_BACKBONE_OPTIONS: dict[str, Any] = {
    "backbone_weights": None,
    "trainable_layers": None,
    "norm": None,
    "norm_eps": None,
    "norm_momentum": None,
    "width_mult": 1.0,
}

_CONTRACT = (
    "a backbone module follows the contract of detseg.backbones.Backbone: forward(x) returns "
    "an OrderedDict[str, Tensor] finest level first, and the dicts out_channels and strides "
    "have one entry per level, same keys in the same order"
)


def refuse_named_backbone_options(**given: Any) -> None:
    """Raise ``ValueError`` for an option of :data:`NAMED_BACKBONE_OPTIONS` set to another
    value than its default together with a backbone module.

    Args:
        given: every option of :data:`NAMED_BACKBONE_OPTIONS` (no other) as a keyword
            argument, with the value the builder was given.

    Raises:
        TypeError: ``given`` does not name exactly the options of
            :data:`NAMED_BACKBONE_OPTIONS` (a builder out of step with the table).
        ValueError: naming the first option that differs from its default.
    """
    if given.keys() != NAMED_BACKBONE_OPTIONS.keys():
        raise TypeError(
            f"refuse_named_backbone_options needs exactly {list(NAMED_BACKBONE_OPTIONS)}, "
            f"got {list(given)}"
        )
    for name, value in given.items():
        if value != NAMED_BACKBONE_OPTIONS[name]:
            raise ValueError(
                f"{name}={value!r} applies only to a backbone given by name, not to a backbone "
                f"module: remove {name} (prepare the module's weights, frozen layers and norm "
                "layers before passing it) or pass a name of detseg.backbones.BACKBONES"
            )


def check_backbone_module(backbone: object) -> Backbone:
    """``backbone`` checked against the backbone contract (see ``detseg/backbones/base.py``).

    Args:
        backbone: the ``backbone`` argument of a builder that is not a name.

    Returns:
        ``backbone``, typed as a :class:`~detseg.backbones.base.Backbone`.

    Raises:
        ValueError: if it is not an ``nn.Module``, lacks the ``out_channels`` or ``strides``
            dict, has no level, keys that differ between the two, or strides that decrease;
            or if one forward pass gives other levels, channels or strides than it declares
            (:func:`~detseg.detection.backbone_probe.probe_backbone`).
    """
    if not isinstance(backbone, nn.Module):
        raise ValueError(
            f"backbone must be a name of detseg.backbones.BACKBONES or an nn.Module, got "
            f"{type(backbone).__name__} {backbone!r}"
        )
    name = type(backbone).__name__
    missing = [
        attr
        for attr in ("out_channels", "strides")
        if not isinstance(getattr(backbone, attr, None), Mapping)
    ]
    if missing:
        raise ValueError(
            f"backbone module {name} has no {' and no '.join(missing)} dict; {_CONTRACT}"
        )
    channels, strides = cast(Backbone, backbone).out_channels, cast(Backbone, backbone).strides
    if not channels:
        raise ValueError(
            f"backbone module {name} declares no level (out_channels is empty); {_CONTRACT}"
        )
    if list(channels) != list(strides):
        raise ValueError(
            f"backbone module {name}: out_channels has the levels {list(channels)} but strides "
            f"has {list(strides)}; {_CONTRACT}"
        )
    values = list(strides.values())
    if any(a > b for a, b in zip(values[:-1], values[1:], strict=True)):
        raise ValueError(f"backbone module {name}: strides {dict(strides)} decrease; {_CONTRACT}")
    probe_backbone(backbone, _CONTRACT)  # one forward pass against what it declares
    return cast(Backbone, backbone)


def backbone_family(backbone: nn.Module) -> str | None:
    """``"resnet"``, ``"mobilenet"`` or ``"vgg"`` for a plain detseg backbone module (whose
    level names the builders' per-family defaults use), else ``None``."""
    for cls, family in (
        (ResNetBackbone, "resnet"),
        (MobileNetBackbone, "mobilenet"),
        (VGGBackbone, "vgg"),
    ):
        if isinstance(backbone, cls):
            return family
    return None


def backbone_module_levels(
    backbone: Backbone, return_layers: Sequence[str] | None, default: Sequence[str] | None
) -> list[str]:
    """The levels of a backbone module that a detector uses, in the module's order.

    Args:
        backbone: a module that passed :func:`check_backbone_module`.
        return_layers: the levels asked for, or ``None``.
        default: the levels used for ``return_layers=None`` when the module has them all
            (the named backbone's default); otherwise every level of the module.

    Returns:
        The level names.

    Raises:
        ValueError: if ``return_layers`` is empty or names a level the module lacks.
    """
    available = list(backbone.out_channels)
    if return_layers is None:
        if default is not None and all(level in available for level in default):
            return [level for level in available if level in default]
        return available
    if isinstance(return_layers, str):
        return_layers = [return_layers]
    missing = [level for level in return_layers if level not in available]
    if missing or not return_layers:
        raise ValueError(
            f"return_layers={list(return_layers)}: the backbone module "
            f"{type(backbone).__name__} has no level {missing or 'given'}; choose some of its "
            f"levels {available} (or leave return_layers out to use them all)"
        )
    return [level for level in available if level in return_layers]


class BackboneLevels(Backbone):
    """A backbone module returning only some of its levels (a detector without an FPN uses
    every level it gets).

    Args:
        body: a module following the backbone contract.
        levels: the levels kept, a subset of ``body.out_channels``, in ``body``'s order.

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[level, Float[B, C_level, h, w]]``.
    """

    def __init__(self, body: Backbone, levels: Sequence[str]) -> None:
        super().__init__()
        self.body = body
        self.levels = list(levels)
        self.out_channels = {level: body.out_channels[level] for level in self.levels}
        self.strides = {level: body.strides[level] for level in self.levels}

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Run ``body`` and keep ``levels``."""
        features = self.body(x)
        return OrderedDict((level, features[level]) for level in self.levels)
