"""A torchvision checkpoint file as a detseg checkpoint.

Every torchvision model with a detseg twin converts (:data:`TORCHVISION_ARCHS`: Faster R-CNN,
RetinaNet, SSD, SSDlite, Mask R-CNN, FCN, DeepLabV3, LR-ASPP). The torchvision model is
rebuilt with ``weights=None`` (nothing is downloaded), the file's tensors are loaded into it and
:func:`detseg.convert.convert_torchvision` converts it (see
:mod:`detseg.convert.torchvision_archs`). The result is the dict a detseg checkpoint holds:
``{"model", "config": {"model": {...}}, "classes", "meta"}``, ready for
``detseg.engine.checkpointing.save_checkpoint``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import torchvision
from torchvision import models as tv_models

from detseg.convert.torchvision_archs import (
    TORCHVISION_ARCHS,
    convert_torchvision_state,
    read_state_dict,
)
from detseg.torch_files import read_torch_file

__all__ = ["TORCHVISION_ARCHS", "coco_class_names", "torchvision_file_checkpoint"]


def coco_class_names() -> list[str]:
    """torchvision's COCO category names for labels 1..90 (``N/A`` marks unused ids)."""
    meta = tv_models.get_model_weights("fasterrcnn_resnet50_fpn").DEFAULT.meta
    return list(meta["categories"][1:])


def torchvision_file_checkpoint(
    arch: str | None,
    path: str | os.PathLike,
    num_classes: int | None = None,
    classes: Sequence[str] | None = None,
    classes_source: str | os.PathLike | None = None,
) -> dict[str, Any]:
    """The detseg checkpoint dict of a torchvision state-dict file.

    Args:
        arch: The torchvision builder the file belongs to (a key of :data:`TORCHVISION_ARCHS`);
            ``None`` finds it from the file's tensor names (builders with the same tensors but
            other settings, such as the 320 px MobileNet Faster R-CNN, need their name).
        path: The ``.pth`` file: a state dict, or a dict holding one under ``"model"``.
        num_classes: torchvision ``num_classes`` of the file, background included; ``None``
            reads it from the class layers' shapes (a given value is checked against them).
        classes: The foreground class names (default: torchvision's names when the file has
            the class count of torchvision's weights, else ``class_<i>``).
        classes_source: Where ``classes`` were read (the ``--classes`` file), named in the
            error about their count.

    Raises:
        ValueError: Unknown ``arch``, tensors that do not fit it, a wrong ``num_classes``, or
            ``classes`` not naming every foreground class.
        FileNotFoundError: No such file.
    """
    if arch is not None and arch not in TORCHVISION_ARCHS:
        raise ValueError(
            f"unknown architecture {arch!r}; choose one of {', '.join(TORCHVISION_ARCHS)}"
        )
    state = read_state_dict(path)
    try:
        converted = convert_torchvision_state(state, arch, source=str(path))
    except ValueError:
        if _is_detseg_checkpoint(path):
            raise ValueError(
                f"{path} is already a detseg checkpoint (it has a config and classes): give it "
                "as it is to inference, evaluation or export, or name it in model.init_from to "
                "fine-tune from it"
            ) from None
        raise
    if num_classes is not None and num_classes != converted.num_classes:
        raise ValueError(
            f"{path}: --num-classes {num_classes}, but the file's class layers hold "
            f"{converted.num_classes} classes (background included); give --num-classes "
            f"{converted.num_classes}, or leave it out to read it from the file"
        )
    foreground = converted.num_classes - 1
    if classes is None:
        classes = converted.categories or [f"class_{i}" for i in range(1, foreground + 1)]
    if len(classes) != foreground:
        raise ValueError(_class_count_message(len(classes), classes_source, path, foreground))
    family = tv_models.get_model_builder(converted.arch).__module__.split(".")[2]
    return {
        "model": converted.state,
        "config": {"model": converted.model_cfg},
        "classes": list(classes),
        "meta": {
            "source": f"torchvision.models.{family}.{converted.arch}",
            "torchvision_checkpoint": str(path),
            "torchvision_version": torchvision.__version__,
        },
    }


def _class_count_message(
    given: int, source: str | os.PathLike | None, path: str | os.PathLike, foreground: int
) -> str:
    """One line: ``given`` class names (read from ``source``) do not fit the ``foreground``
    classes of checkpoint ``path``, whose class layers also hold background (not named)."""
    names = f"--classes {source}" if source is not None else "classes"
    return (
        f"{names} has {given} class name(s), but {path} has {foreground} foreground classes (its "
        f"{foreground + 1} class outputs include background, which is not named): give one "
        "name per foreground class, without background"
    )


def _is_detseg_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` holds a detseg checkpoint's dict (``model``, ``config``, ``classes``)."""
    data = read_torch_file(os.fspath(path))
    return isinstance(data, dict) and {"model", "config", "classes"} <= data.keys()
