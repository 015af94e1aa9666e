"""Read a COCO-json detection dataset into a format-neutral :class:`DatasetRecord`.

Layout of a split (the shapes layout, ``detseg.data.registry.DATA_DEFAULTS["coco"]``)::

    <root>/<split>/images/<file_name>
    <root>/annotations/instances_<split>.json

When ``<root>/<split>/images`` is absent the images are looked for in ``<root>/<split>/`` (the
COCO 2017 layout: ``train2017/`` with ``annotations/instances_train2017.json``). The splits of a
root are the ``<split>`` of its ``annotations/instances_<split>.json`` files.

Classes are the category names in increasing id order (detseg's label order); every split must
list the same categories. ``bbox = [x, y, w, h]`` becomes ``xyxy``; ``iscrowd`` and an optional
``"difficult": 1`` field are kept as flags. Image sizes come from the image headers (a json
``width`` / ``height`` that differs is reported and not used); an unreadable image is skipped.
"""

from __future__ import annotations

import logging
from pathlib import Path, PureWindowsPath
from typing import Any

from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    ObjectRecord,
    SplitRecord,
    checked_box,
    class_index_map,
    file_image_size,
    sort_splits,
)
from detseg.data.coco import coco_image_file
from detseg.data.coco_json import load_coco_json

__all__ = ["coco_split_paths", "coco_splits", "read_coco"]

logger = logging.getLogger(__name__)

_PREFIX = "instances_"


def coco_splits(root: Path) -> list[str]:
    """Split names of ``root``: the ``<split>`` of each ``annotations/instances_<split>.json``."""
    names = [p.stem[len(_PREFIX) :] for p in (root / "annotations").glob(f"{_PREFIX}*.json")]
    return sort_splits([name for name in names if name])


def coco_split_paths(root: Path, split: str) -> tuple[Path, Path]:
    """``(images folder, annotation json)`` of ``split``.

    Raises:
        FileNotFoundError: The json or the images folder is missing (the message names both
            expected places and the splits that are there).
    """
    ann_file = root / "annotations" / f"{_PREFIX}{split}.json"
    found = ", ".join(coco_splits(root)) or "none"
    if not ann_file.is_file():
        raise FileNotFoundError(
            f"COCO split {split!r} not found: no {ann_file} (splits found in {root}: {found})"
        )
    for images_dir in (root / split / "images", root / split):
        if images_dir.is_dir():
            return images_dir, ann_file
    raise FileNotFoundError(
        f"COCO images of split {split!r} not found: neither {root / split / 'images'} nor "
        f"{root / split} is a folder"
    )


def _category_names(data: dict[str, Any], ann_file: Path) -> tuple[list[int], list[str]]:
    """Category ids and names in increasing id order."""
    categories = sorted(data["categories"], key=lambda c: int(c["id"]))
    names = [str(c.get("name", c["id"])) for c in categories]
    if len(set(names)) != len(names):
        raise ValueError(f"{ann_file}: category names are not unique: {names}")
    return [int(c["id"]) for c in categories], names


def _image_record(entry: dict[str, Any], images_dir: Path, ann_file: Path) -> ImageRecord | None:
    """The record of one ``images`` entry (objects added later), or ``None`` if unusable."""
    path = coco_image_file(images_dir, entry.get("file_name", ""))  # the training reader's rule
    if not path.is_file():
        logger.warning("%s: image %s of id %s not found; skipped", ann_file, path, entry.get("id"))
        return None
    stated = (_int_or_zero(entry.get("width")), _int_or_zero(entry.get("height")))
    size = file_image_size(path, stated, f"{ann_file} (image id {entry.get('id')})")
    if size is None:
        return None
    name = str(entry["file_name"])
    if path != images_dir / name:  # found with "/" for Windows separators: name it so
        name = PureWindowsPath(name).as_posix()
    return ImageRecord(path, name, *size)


def _int_or_zero(value: Any) -> int:
    """``int(value)``, or ``0`` for a missing or non-numeric value."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _object(ann: dict[str, Any], image: ImageRecord, class_index: int) -> ObjectRecord | None:
    """The object of one annotation, or ``None`` (logged) for a malformed box."""
    where = f"{image.path} (annotation {ann.get('id')})"
    try:
        x, y, w, h = (float(v) for v in ann["bbox"])
    except (KeyError, TypeError, ValueError):
        logger.warning("%s: bbox %r is not [x, y, w, h]; object skipped", where, ann.get("bbox"))
        return None
    box = checked_box((x, y, x + w, y + h), image.width, image.height, where)
    if box is None:
        return None
    crowd, difficult = bool(ann.get("iscrowd", 0)), bool(ann.get("difficult", 0))
    return ObjectRecord(box, class_index, iscrowd=crowd, difficult=difficult)


def _read_split(root: Path, split: str, classes: list[str] | None) -> tuple[SplitRecord, list[str]]:
    """One split and its category names (``classes`` given: objects mapped by name)."""
    images_dir, ann_file = coco_split_paths(root, split)
    data = load_coco_json(ann_file)
    cat_ids, names = _category_names(data, ann_file)
    targets = class_index_map(names, classes if classes is not None else names)
    index_of = dict(zip(cat_ids, targets, strict=True))
    record = SplitRecord(split, [])
    by_id: dict[Any, ImageRecord] = {}
    for entry in data["images"]:
        image = _image_record(entry, images_dir, ann_file)
        if image is None:
            record.skipped_images += 1
            continue
        by_id[entry.get("id")] = image
        record.images.append(image)
    other_classes = 0
    for ann in data["annotations"]:
        image = by_id.get(ann.get("image_id"))
        class_index = index_of.get(ann.get("category_id"))
        if class_index is None:
            other_classes += 1
        obj = None if image is None or class_index is None else _object(ann, image, class_index)
        if image is None or obj is None:  # image None: an annotation of a skipped image
            record.skipped_objects += 1
        else:
            image.objects.append(obj)
    if other_classes:
        logger.warning(
            "%s: %d annotation(s) whose category is unknown or not among the converted "
            "classes were skipped",
            ann_file,
            other_classes,
        )
    return record, names


def read_coco(root: Path, splits: list[str], classes: list[str] | None = None) -> DatasetRecord:
    """Read ``splits`` of the COCO dataset at ``root``.

    Args:
        root: Dataset folder (layout in the module docstring).
        splits: Split names to read.
        classes: Output class names; objects are mapped to them by category name and objects of
            other categories are skipped. ``None``: the categories, in id order.

    Raises:
        FileNotFoundError: A split's json or images folder is missing.
        ValueError: A json that is not COCO, or splits whose categories differ.
    """
    records, first_names = [], None
    for split in splits:
        record, names = _read_split(root, split, classes)
        if first_names is not None and names != first_names and classes is None:
            raise ValueError(
                f"COCO split {split!r} of {root} has categories {names}, split {splits[0]!r} "
                f"has {first_names}; convert them separately or pass the class names (--classes)"
            )
        first_names = first_names or names
        records.append(record)
    return DatasetRecord(list(classes if classes is not None else first_names or []), records)
