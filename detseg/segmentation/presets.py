"""Named segmentation presets: a family builder from ``builders.py`` with fixed defaults.

Each preset takes ``(num_classes, **kwargs)`` (``num_classes`` = foreground classes) and
accepts every keyword of its family builder; its ``__signature__`` shows the preset's defaults
so that ``detseg.models.build_model`` can validate config keys.

The torchvision-named presets (``fcn_resnet50``, ``deeplabv3_resnet101``,
``deeplabv3_mobilenet_v3_large``, ``lraspp_mobilenet_v3_large``, ...) have torchvision's
architecture: ResNets at output stride 8, MobileNetV3-Large dilated to 16, ASPP rates
(12, 24, 36) (torchvision also keeps these for the stride-16 MobileNet model).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from .builders import deeplabv3, deeplabv3plus, fcn, fcn_vgg16, lraspp, unet_backbone
from .model import SegmentationModel

_FCN_R50: dict[str, Any] = {"backbone": "resnet50", "output_stride": 8}
_FCN_R101: dict[str, Any] = {"backbone": "resnet101", "output_stride": 8}
_DLV3_R50: dict[str, Any] = {
    "backbone": "resnet50",
    "output_stride": 8,
    "atrous_rates": (12, 24, 36),
}
_DLV3_R101: dict[str, Any] = {**_DLV3_R50, "backbone": "resnet101"}
_DLV3_MBV3: dict[str, Any] = {
    "backbone": "mobilenet_v3_large",
    "output_stride": 16,
    "atrous_rates": (12, 24, 36),
}
_DLV3P_R50: dict[str, Any] = {
    "backbone": "resnet50",
    "output_stride": 16,
    "atrous_rates": (6, 12, 18),
}
_LRASPP_MBV3: dict[str, Any] = {"backbone": "mobilenet_v3_large", "output_stride": 16}
_UNET_R34: dict[str, Any] = {"backbone": "resnet34"}


def fcn_resnet50(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """FCN on ResNet-50 at output stride 8 (torchvision ``fcn_resnet50``)."""
    return fcn(num_classes, **{**_FCN_R50, **kwargs})


def fcn_resnet101(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """FCN on ResNet-101 at output stride 8 (torchvision ``fcn_resnet101``)."""
    return fcn(num_classes, **{**_FCN_R101, **kwargs})


def deeplabv3_resnet50(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """DeepLabV3 on ResNet-50, output stride 8 (torchvision ``deeplabv3_resnet50``)."""
    return deeplabv3(num_classes, **{**_DLV3_R50, **kwargs})


def deeplabv3_resnet101(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """DeepLabV3 on ResNet-101, output stride 8 (torchvision ``deeplabv3_resnet101``)."""
    return deeplabv3(num_classes, **{**_DLV3_R101, **kwargs})


def deeplabv3_mobilenet_v3_large(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """DeepLabV3 on dilated MobileNetV3-Large (torchvision ``deeplabv3_mobilenet_v3_large``)."""
    return deeplabv3(num_classes, **{**_DLV3_MBV3, **kwargs})


def deeplabv3plus_resnet50(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """DeepLabV3+ on ResNet-50, output stride 16, ASPP rates (6, 12, 18) (the paper)."""
    return deeplabv3plus(num_classes, **{**_DLV3P_R50, **kwargs})


def lraspp_mobilenet_v3_large(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """Lite R-ASPP on dilated MobileNetV3-Large (torchvision ``lraspp_mobilenet_v3_large``)."""
    return lraspp(num_classes, **{**_LRASPP_MBV3, **kwargs})


def fcn8s_vgg16(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """FCN-8s on VGG16 (the paper's best model); FCN-16s/32s: ``fcn_vgg16(variant=...)``."""
    return fcn_vgg16(num_classes, **{"variant": "8s", **kwargs})


def unet_resnet34(num_classes: int, **kwargs: Any) -> SegmentationModel:
    """U-Net decoder on ResNet-34 levels ``c1..c5``."""
    return unet_backbone(num_classes, **{**_UNET_R34, **kwargs})


PRESET_DEFAULTS: dict[Callable[..., SegmentationModel], tuple[Callable[..., Any], dict]] = {
    fcn_resnet50: (fcn, _FCN_R50),
    fcn_resnet101: (fcn, _FCN_R101),
    deeplabv3_resnet50: (deeplabv3, _DLV3_R50),
    deeplabv3_resnet101: (deeplabv3, _DLV3_R101),
    deeplabv3_mobilenet_v3_large: (deeplabv3, _DLV3_MBV3),
    deeplabv3plus_resnet50: (deeplabv3plus, _DLV3P_R50),
    lraspp_mobilenet_v3_large: (lraspp, _LRASPP_MBV3),
    fcn8s_vgg16: (fcn_vgg16, {"variant": "8s"}),
    unet_resnet34: (unet_backbone, _UNET_R34),
}

for _preset, (_builder, _defaults) in PRESET_DEFAULTS.items():
    _signature = inspect.signature(_builder)
    _preset.__signature__ = _signature.replace(  # type: ignore[attr-defined]
        parameters=[
            p.replace(default=_defaults.get(p.name, p.default))
            for p in _signature.parameters.values()
        ]
    )
