"""Semantic segmentation: ``SegmentationModel`` with FCN, DeepLabV3(+), LR-ASPP and U-Net heads.

``SEGMENTATION_MODELS`` maps model names to builders ``builder(num_classes, **kwargs)``, where
``num_classes`` counts the foreground classes ``K`` (labels ``1..K``, 0 = background; logits
have ``K + 1`` channels). Family builders take every option; presets fix the architecture of
a published model. See ``model.py`` for the model API, ``loss.py`` for its losses,
``builders.py`` for the options and ``settings.py`` for the ``loss`` and ``input`` sections of
their config.
"""

from __future__ import annotations

from collections.abc import Callable

from . import builders
from .builders import (
    deeplabv3,
    deeplabv3plus,
    fcn,
    fcn_vgg16,
    lraspp,
    segmentation_backbone,
    unet_backbone,
)
from .crf import LocalCRF
from .fcn_vgg import FCNVGGHead
from .heads import (
    ASPP,
    ConvBNReLU,
    DeepLabV3Head,
    DeepLabV3PlusHead,
    FCNHead,
    LRASPPHead,
    default_atrous_rates,
)
from .inference import SegmentationInference
from .loss import SegmentationLoss
from .model import SegmentationModel
from .presets import (
    deeplabv3_mobilenet_v3_large,
    deeplabv3_resnet50,
    deeplabv3_resnet101,
    deeplabv3plus_resnet50,
    fcn8s_vgg16,
    fcn_resnet50,
    fcn_resnet101,
    lraspp_mobilenet_v3_large,
    unet_resnet34,
)
from .settings import SegmentationInputConfig, SegmentationLossConfig
from .unet import UNetDecoder, UNetEncoder

SEGMENTATION_MODELS: dict[str, Callable[..., SegmentationModel]] = {
    # families
    "fcn": fcn,
    "deeplabv3": deeplabv3,
    "deeplabv3plus": deeplabv3plus,
    "lraspp": lraspp,
    "fcn_vgg16": fcn_vgg16,
    "unet": builders.unet,  # not imported by name: ``detseg.segmentation.unet`` is the module
    "unet_backbone": unet_backbone,
    # presets
    "fcn_resnet50": fcn_resnet50,
    "fcn_resnet101": fcn_resnet101,
    "fcn8s_vgg16": fcn8s_vgg16,
    "deeplabv3_resnet50": deeplabv3_resnet50,
    "deeplabv3_resnet101": deeplabv3_resnet101,
    "deeplabv3_mobilenet_v3_large": deeplabv3_mobilenet_v3_large,
    "deeplabv3plus_resnet50": deeplabv3plus_resnet50,
    "lraspp_mobilenet_v3_large": lraspp_mobilenet_v3_large,
    "unet_resnet34": unet_resnet34,
}

__all__ = [
    "ASPP",
    "SEGMENTATION_MODELS",
    "ConvBNReLU",
    "DeepLabV3Head",
    "DeepLabV3PlusHead",
    "FCNHead",
    "FCNVGGHead",
    "LRASPPHead",
    "LocalCRF",
    "SegmentationInference",
    "SegmentationInputConfig",
    "SegmentationLoss",
    "SegmentationLossConfig",
    "SegmentationModel",
    "UNetDecoder",
    "UNetEncoder",
    "default_atrous_rates",
    "segmentation_backbone",
]
