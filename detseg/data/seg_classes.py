"""The class names of a segmentation dataset: the rules every segmentation reader applies.

Label ``0`` is background and is not listed: value ``k`` of a label map is ``classes[k - 1]``,
so a list whose first name is background would shift every name by one
(:func:`refuse_listed_background`). Names are stripped, as every reader takes a class name, and
no more than a label map holds beside its ignore value fit (:func:`check_classes`). A COCO
json's categories give the classes of ``coco_seg`` and ``shapes_seg``
(:func:`json_category_classes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detseg.data.class_names import listed_class_names
from detseg.data.coco_json import check_unique_names, stripped_category_names
from detseg.data.seg_transforms import IGNORE_INDEX

__all__ = [
    "check_class_count",
    "check_classes",
    "json_category_classes",
    "refuse_listed_background",
]

_BACKGROUND_NAMES = ("background", "_background_", "__background__", "bg")


def refuse_listed_background(classes: list[str], source: str) -> list[str]:
    """Refuse a class list whose first name is background: label 0 is background and is not
    listed, so listing it would shift every name by one."""
    if classes and classes[0].strip().lower() in _BACKGROUND_NAMES:
        raise ValueError(
            f"{source}: the first class is {classes[0]!r}, but label 0 is always background "
            "and is not listed (value k is classes[k - 1]); remove it from the class list"
        )
    return classes


def check_classes(classes: Sequence[Any], source: str) -> list[str]:
    """The foreground names of a segmentation dataset, each as every reader takes a class name
    (:func:`~detseg.data.class_names.listed_class_names`: stripped, so ``" cat "`` is the class
    ``cat`` of a detection dataset too).

    Raises:
        ValueError: no names, an empty or repeated one (``source`` names where they come from),
            or more than a label map holds beside its ignore value.
    """
    return check_class_count(listed_class_names(classes, source), source)


def check_class_count(classes: list[str], source: str) -> list[str]:
    """``classes`` (names already checked), refused when a label map cannot hold them all
    beside its ignore value (at most 254)."""
    if len(classes) >= IGNORE_INDEX:
        raise ValueError(
            f"{source}: {len(classes)} classes do not fit a label map with "
            f"{IGNORE_INDEX} as ignore value (at most {IGNORE_INDEX - 1})"
        )
    return classes


def json_category_classes(ann_file: Path, written: list[dict]) -> tuple[list[int], list[str]]:
    """``(category ids, class names)`` of a COCO json's ``categories`` (``written``, as the
    file has them), sorted by id: the classes of ``coco_seg`` and ``shapes_seg``.

    Names are stripped as every class name is; two categories of one name are refused as
    :class:`~detseg.data.coco.CocoDetection` refuses them, by their ids
    (:func:`~detseg.data.coco_json.check_unique_names`; these formats take no
    ``data.classes`` to leave them out).

    Raises:
        ValueError: shared names, an empty one, or more than 254 categories (naming
            ``ann_file``).
    """
    categories = sorted(stripped_category_names(written), key=lambda c: c["id"])
    check_unique_names(ann_file, categories, written, choosable=False)
    names = check_classes([c["name"] for c in categories], str(ann_file))
    return [int(c["id"]) for c in categories], names
