"""Every model by name: ``MODELS`` (a plain dict name -> builder), ``build_model`` and
``from_torchvision``.

A builder is ``builder(num_classes, **kwargs) -> nn.Module`` where ``num_classes`` counts the
foreground classes (labels ``1..num_classes``). A config's ``model`` section is
``{"name": <key of MODELS>, **kwargs}``.
"""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Mapping
from typing import Any

from torch import nn

from detseg.config.model_section import OWN_BUILDER_NOTE, models_taking
from detseg.config.schema import MODEL_RUN_KEYS
from detseg.config.suggest import did_you_mean
from detseg.detection.faster_rcnn import (
    faster_rcnn,
    faster_rcnn_mobilenet_v3_large_320_fpn,
    faster_rcnn_mobilenet_v3_large_fpn,
    faster_rcnn_resnet50_fpn,
    faster_rcnn_resnet50_fpn_v2,
    faster_rcnn_vgg16,
)
from detseg.detection.mask_rcnn import MASK_RCNN_MODELS
from detseg.detection.retinanet import RETINANET_MODELS
from detseg.detection.ssd import SSD_MODELS
from detseg.detection.yolo import YOLO_MODELS
from detseg.segmentation import SEGMENTATION_MODELS
from detseg.segmentation.settings import check_moved_keys

MODELS: dict[str, Callable[..., nn.Module]] = {
    "faster_rcnn": faster_rcnn,
    "faster_rcnn_resnet50_fpn": faster_rcnn_resnet50_fpn,
    "faster_rcnn_resnet50_fpn_v2": faster_rcnn_resnet50_fpn_v2,
    "faster_rcnn_mobilenet_v3_large_fpn": faster_rcnn_mobilenet_v3_large_fpn,
    "faster_rcnn_mobilenet_v3_large_320_fpn": faster_rcnn_mobilenet_v3_large_320_fpn,
    "faster_rcnn_vgg16": faster_rcnn_vgg16,
    **MASK_RCNN_MODELS,
    **RETINANET_MODELS,
    **SSD_MODELS,
    **YOLO_MODELS,
    **SEGMENTATION_MODELS,
}


def check_model_kwargs(name: str, kwargs: dict[str, Any]) -> Callable[..., nn.Module]:
    """Return ``MODELS[name]`` after checking ``kwargs`` against its signature.

    Raises:
        ValueError: unknown model name, or a keyword the builder does not take (the message
            names the key and the closest valid parameter, the other models that take it, or
            the section a segmentation setting belongs to).
    """
    if name not in MODELS:
        hint = did_you_mean(name, MODELS)
        raise ValueError(
            f"unknown model '{name}'{hint} (known models: {list(MODELS)}; {OWN_BUILDER_NOTE})"
        )
    if name in SEGMENTATION_MODELS:
        check_moved_keys(kwargs)
    builder = MODELS[name]
    params = inspect.signature(builder).parameters
    valid = [p for p, v in params.items() if p != "num_classes" and v.kind != v.VAR_KEYWORD]
    for key in kwargs:
        if key == "num_classes":
            raise ValueError(
                "'num_classes' is derived from the dataset; remove it from the model config"
            )
        if key not in valid:
            others = [other for other in models_taking(key, MODELS) if other != name]
            hint = did_you_mean(key, valid)
            if others:  # a key left from another model's settings, not a typo
                more = f" and {len(others) - 3} more" if len(others) > 3 else ""
                hint = f", a key of other models ({', '.join(others[:3])}{more})"
            raise ValueError(f"model '{name}' has no parameter '{key}'{hint} (valid: {valid})")
    return builder


def build_model(model_cfg: dict[str, Any], num_classes: int) -> nn.Module:
    """Build a model from ``{"name": <MODELS key>, **builder kwargs}``.

    Args:
        model_cfg: the model section of a config (not modified). ``init_from`` and
            ``compile`` are not builder arguments and are left out: training loads those
            weights after building (:func:`detseg.convert.init_weights.load_init_weights`)
            and compiles the built model (:mod:`detseg.engine.runtime.compiling`).
        num_classes: foreground classes, from the dataset.

    Raises:
        TypeError: ``model_cfg`` is no dict (a model name alone: give ``{"name": name}``), or
            ``num_classes`` is no integer (``2.5``, ``"2"``, ``None``, a bool).
        ValueError: no ``name``, an unknown name or keyword (:func:`check_model_kwargs`), or
            ``num_classes`` below 1 (the builders).
    """
    if not isinstance(model_cfg, Mapping):
        raise TypeError(
            f"model_cfg must be a dict such as {{'name': 'retinanet', 'backbone': 'resnet18'}}, "
            f"got {type(model_cfg).__name__} {model_cfg!r:.80}"
        )
    if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(
            f"num_classes must be an integer >= 1 (the foreground classes), got "
            f"{num_classes!r} ({type(num_classes).__name__})"
        )
    if "name" not in model_cfg:
        raise ValueError(f"model config needs a 'name' (one of {list(MODELS)}), got {model_cfg}")
    kwargs = {k: v for k, v in model_cfg.items() if k not in MODEL_RUN_KEYS}
    builder = check_model_kwargs(model_cfg["name"], kwargs)
    return builder(num_classes, **kwargs)


def from_torchvision(tv_model: nn.Module) -> nn.Module:
    """Convert a torchvision detection/segmentation model instance to the equal detseg model.

    See :func:`detseg.convert.from_torchvision`.
    """
    from detseg.convert import from_torchvision as convert

    return convert(tv_model)
