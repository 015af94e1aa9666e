"""A torchvision detection checkpoint file as a detseg checkpoint.

The torchvision model is built with ``weights=None`` (nothing is downloaded), the file's state
dict is loaded into it, :func:`detseg.convert.convert_torchvision` converts it, and the result
is the dict a detseg checkpoint holds: ``{"model", "config": {"model": {...}}, "classes",
"meta"}``, ready for ``detseg.engine.checkpointing.save_checkpoint``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
import torchvision
from torchvision.models import detection

from detseg.convert import convert_torchvision

# torchvision detection builders whose checkpoint files convert
DETECTION_ARCHS = (
    "fasterrcnn_resnet50_fpn",
    "fasterrcnn_resnet50_fpn_v2",
    "fasterrcnn_mobilenet_v3_large_fpn",
    "fasterrcnn_mobilenet_v3_large_320_fpn",
)
COCO_NUM_CLASSES = 91  # torchvision's COCO heads: 0 background + 90 category slots


def coco_class_names() -> list[str]:
    """torchvision's COCO category names for labels 1..90 (``N/A`` marks unused ids)."""
    return list(detection.FasterRCNN_ResNet50_FPN_Weights.COCO_V1.meta["categories"][1:])


def read_class_names(path: str | os.PathLike) -> list[str]:
    """One foreground class name per non-empty line of a text file."""
    text = Path(path).read_text()
    return [line.strip() for line in text.splitlines() if line.strip()]


def torchvision_file_checkpoint(
    arch: str,
    path: str | os.PathLike,
    num_classes: int = COCO_NUM_CLASSES,
    classes: Sequence[str] | None = None,
) -> dict[str, Any]:
    """The detseg checkpoint dict of a torchvision detection state-dict file.

    Args:
        arch: the torchvision builder the file belongs to (one of :data:`DETECTION_ARCHS`).
        path: the ``.pth`` file: a state dict, or a dict holding one under ``"model"``.
        num_classes: torchvision ``num_classes`` of the file, background included.
        classes: the foreground class names (default: torchvision's COCO names for 91
            classes, else ``class_<i>``).

    Raises:
        ValueError: ``arch`` is not a supported builder, or ``classes`` does not name every
            foreground class.
    """
    if arch not in DETECTION_ARCHS:
        raise ValueError(f"unknown architecture {arch!r}; choose one of {DETECTION_ARCHS}")
    tv_model = getattr(detection, arch)(
        weights=None, weights_backbone=None, num_classes=num_classes
    )
    state = torch.load(path, map_location="cpu", weights_only=True)
    tv_model.load_state_dict(state.get("model", state))
    model, model_cfg = convert_torchvision(tv_model.eval())
    if classes is None:
        classes = (
            coco_class_names()
            if num_classes == COCO_NUM_CLASSES
            else [f"class_{i}" for i in range(1, num_classes)]
        )
    if len(classes) != model.num_classes:
        raise ValueError(f"{len(classes)} class names for {model.num_classes} foreground classes")
    return {
        "model": model.state_dict(),
        "config": {"model": model_cfg},
        "classes": list(classes),
        "meta": {
            "source": f"torchvision.models.detection.{arch}",
            "torchvision_checkpoint": str(path),
            "torchvision_version": torchvision.__version__,
        },
    }
