"""Convert torchvision detection / segmentation model instances into detseg models.

The converted model is built from detseg's own modules and receives the torchvision weights
through an explicit state-dict key mapping (an unmapped or missing key is an error). The
torchvision classes are recognised by name, so the converters need no torchvision model
import; :mod:`detseg.convert.torchvision_archs` (state-dict files, ``model.init_from``) builds
torchvision's models to read their files.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from torch import nn

from detseg.convert.faster_rcnn import convert_faster_rcnn
from detseg.convert.mask_rcnn import CONVERTERS as MASK_RCNN_CONVERTERS
from detseg.convert.retinanet import CONVERTERS as RETINANET_CONVERTERS
from detseg.convert.segmentation import CONVERTERS as SEGMENTATION_CONVERTERS
from detseg.convert.ssd import CONVERTERS as SSD_CONVERTERS

# torchvision class name -> converter returning (detseg model, model config dict)
CONVERTERS: dict[str, Callable[[nn.Module], tuple[nn.Module, dict[str, Any]]]] = {
    "FasterRCNN": convert_faster_rcnn,
    **MASK_RCNN_CONVERTERS,
    **RETINANET_CONVERTERS,
    **SSD_CONVERTERS,
    **SEGMENTATION_CONVERTERS,
}

_TORCHVISION_PACKAGES = ("torchvision.models.detection", "torchvision.models.segmentation")


def convert_torchvision(tv_model: nn.Module) -> tuple[nn.Module, dict[str, Any]]:
    """Convert ``tv_model`` and return ``(detseg_model, model_cfg)``.

    ``model_cfg`` is ``{"name": <detseg.models.MODELS key>, **kwargs}``: ``build_model(model_cfg,
    num_classes)`` rebuilds the same architecture (what ``tools/convert_torchvision.py`` stores
    in the checkpoint's ``config["model"]``).

    Raises:
        TypeError: ``tv_model`` is not a supported torchvision model class.
    """
    cls = type(tv_model)
    name = cls.__name__
    if not cls.__module__.startswith(_TORCHVISION_PACKAGES) or name not in CONVERTERS:
        raise TypeError(
            f"cannot convert {cls.__module__}.{name}: supported torchvision classes are "
            f"{sorted(CONVERTERS)}"
        )
    return CONVERTERS[name](tv_model)


def from_torchvision(tv_model: nn.Module) -> nn.Module:
    """The detseg equivalent of a torchvision model (same weights, settings and train/eval mode).

    Args:
        tv_model: e.g. ``torchvision.models.detection.fasterrcnn_resnet50_fpn(...)``.
    """
    return convert_torchvision(tv_model)[0]
