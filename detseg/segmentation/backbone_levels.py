"""Which backbone levels each segmentation family reads, and dilated backbones for them.

Dilated backbones (``output_stride``): ResNet-50/101 reach 8 or 16 by dilating layer3+4 or
layer4 (32: no dilation; ResNet-18/34 only 32); MobileNetV3-Large reaches 16 by dilating its
last stage (32: none); VGG16's ``c5`` (conv5_3) has stride 16. Level roles per family:
low level / auxiliary level / deep level = ResNet ``c2/c4/c5``, MobileNet ``c2/c3/c5``
(LR-ASPP's low level is ``c3``), VGG ``c3/c4/c5``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from detseg.backbones import build_model_backbone
from detseg.backbones.base import Backbone

# family -> (low level, auxiliary level, deep level)
LEVEL_ROLES = {
    "resnet": ("c2", "c4", "c5"),
    "mobilenet": ("c2", "c3", "c5"),
    "vgg": ("c3", "c4", "c5"),
}
_DILATED_RESNETS = ("resnet50", "resnet101")
UNET_LEVELS = ("c1", "c2", "c3", "c4", "c5")


def backbone_family(name: str) -> str:
    """``"resnet"``, ``"mobilenet"`` or ``"vgg"`` for a plain backbone name.

    Raises:
        ValueError: a name that starts with none of them.
    """
    for family in LEVEL_ROLES:
        if name.startswith(family):
            return family
    raise ValueError(
        f"backbone {name!r} is not supported for segmentation; use a ResNet, "
        "MobileNet or VGG16 backbone."
    )


#: What :func:`output_strides` says of every family, for the messages that refuse a stride.
OUTPUT_STRIDES_TEXT = (
    "ResNet-50/101 take 8, 16 or 32, MobileNetV3-Large 16 or 32, VGG16 16, the others 32"
)


def output_strides(name: str) -> tuple[int, ...]:
    """The strides the deep level of plain backbone ``name`` can have (see the module
    docstring); the config checks ``model.output_stride`` against them when it is loaded.

    Raises:
        ValueError: a backbone that is not a ResNet, MobileNet or VGG.
    """
    if name in _DILATED_RESNETS:
        return (8, 16, 32)
    if name == "mobilenet_v3_large":
        return (16, 32)
    return ({"vgg": 16}.get(backbone_family(name), 32),)


def _stride_kwargs(name: str, output_stride: int) -> dict[str, Any]:
    """Backbone kwargs giving the deep level the requested stride (see the module docstring)."""
    if output_stride not in output_strides(name):
        raise ValueError(
            f"backbone {name!r} does not support output_stride={output_stride}: "
            f"{OUTPUT_STRIDES_TEXT}."
        )
    if name in _DILATED_RESNETS:
        return {"replace_stride_with_dilation": (False, output_stride == 8, output_stride < 32)}
    if name == "mobilenet_v3_large":
        return {"dilated": output_stride == 16}
    return {}


def segmentation_backbone(
    name: str,
    levels: Sequence[str],
    output_stride: int = 32,
    weights: str | None = None,
    trainable_layers: int | None = None,
    norm: str = "bn",
    width_mult: float = 1.0,
) -> Backbone:
    """A plain backbone returning ``levels`` with its deep level at ``output_stride``.

    ``width_mult`` scales a MobileNet's channels (0.5: half width, ~1/3 of the compute);
    other families only take 1.0. Without weights every BatchNorm gets momentum 0.1
    (``scratch_norm_momentum``): with torchvision's 0.01 a MobileNet trained from scratch for a
    few epochs kept eval-mode statistics so far behind its weights that it predicted only
    background in eval mode (mIoU 0.150 against 0.285 in train mode on the shapes set).

    Args:
        name: a plain backbone name, e.g. ``"resnet50"``, ``"mobilenet_v3_large"``, ``"vgg16"``.
        levels: level names to return (``"c1"`` .. ``"c5"``; sorted, duplicates dropped).
        output_stride: stride of the deep level (see the module docstring).
        weights, trainable_layers, norm: as ``detseg.backbones.build_model_backbone``.
        width_mult: MobileNet channel multiplier.

    Raises:
        ValueError: an unsupported backbone, or an ``output_stride`` it cannot reach.
    """
    order = {level: i for i, level in enumerate(("c1", "c2", "c3", "c4", "c5"))}
    levels = sorted(set(levels), key=order.__getitem__)
    return build_model_backbone(
        name,
        levels,
        weights,
        trainable_layers,
        norm,
        width_mult,
        **_stride_kwargs(name, output_stride),
    )
