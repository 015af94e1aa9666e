"""The format-neutral record of a detection dataset that every reader fills and every writer reads.

A :class:`DatasetRecord` holds the class names and one :class:`SplitRecord` per split; a split
lists its images (:class:`ImageRecord`: source file, size, objects) and counts what the reader
could not convert. Boxes are ``xyxy`` absolute pixels as floats (the detseg box contract),
classes are 0-based indices into :attr:`DatasetRecord.classes`. Readers convert at their edge
(COCO ``xywh``, VOC 1-based pixel indices, YOLO normalised ``cxcywh``) and pass every box through
:func:`checked_box`, so a writer only sees finite boxes inside the image with a positive width
and height.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image

__all__ = [
    "DatasetRecord",
    "ImageRecord",
    "ObjectRecord",
    "SplitFiles",
    "SplitRecord",
    "checked_box",
    "class_index_map",
    "image_size",
    "sort_splits",
]

logger = logging.getLogger(__name__)

#: Splits named like this come first, in this order; other split names follow sorted.
_SPLIT_ORDER = ("train", "trainval", "val", "test")

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class ObjectRecord:
    """One annotated object.

    Attributes:
        box: ``(x1, y1, x2, y2)`` absolute pixels, ``0 <= x1 < x2 <= width``, same for y.
        class_index: 0-based index into :attr:`DatasetRecord.classes`.
        iscrowd: A COCO crowd region.
        difficult: A VOC ``difficult`` object (or a COCO annotation with ``"difficult": 1``).
        truncated: A VOC ``truncated`` object (or a COCO annotation with ``"truncated": 1``);
            kept for VOC and COCO output, training does not read it.
        polygon: The object's outline, ``(x1, y1, x2, y2, ...)`` absolute pixels inside the
            image (a YOLO segment line), or ``()``: the formats that hold outlines (COCO
            ``segmentation``) write it.
    """

    box: Box
    class_index: int
    iscrowd: bool = False
    difficult: bool = False
    polygon: tuple[float, ...] = ()
    truncated: bool = False


@dataclass
class ImageRecord:
    """One image of a split.

    Attributes:
        path: The source image file.
        file_name: The image's name inside its source split (``"000000.png"``; a COCO
            ``file_name`` may hold sub-folders). Writers derive the output name from it.
        width: Image width in pixels.
        height: Image height in pixels.
        objects: The image's objects; empty for an image without objects (a negative).
    """

    path: Path
    file_name: str
    width: int
    height: int
    objects: list[ObjectRecord] = field(default_factory=list)


@dataclass
class SplitRecord:
    """The images of one split and what the reader skipped.

    Attributes:
        name: Split name (``"train"``, ``"val"``, ``"train2017"``, ...).
        images: Images in source order.
        skipped_objects: Objects the reader could not convert (unknown class, malformed or
            empty box); each was logged with its file.
        skipped_images: Listed images that are missing or unreadable (each logged).
    """

    name: str
    images: list[ImageRecord]
    skipped_objects: int = 0
    skipped_images: int = 0


@dataclass(frozen=True)
class SplitFiles:
    """Where one split is when a data file names it (in place of the format's default layout).

    Attributes:
        images: The images folder (COCO ``<role>_images``, YOLO ``<role>_images``); ``None``
            for VOC, whose images are ``<root>/JPEGImages``.
        annotations: The COCO json (``<role>_ann``), the YOLO labels folder (``<role>_labels``;
            ``None``: ``images`` with its last ``images`` changed to ``labels``) or the VOC
            split file (``<role>_split``).
    """

    images: Path | None
    annotations: Path | None


#: ``{split: files}`` of the splits a data file names; readers read the other splits from the
#: format's default layout.
Layout = dict[str, SplitFiles]


@dataclass
class DatasetRecord:
    """A whole dataset as read from one format.

    Attributes:
        classes: Class names; ``ObjectRecord.class_index`` indexes this list.
        splits: The splits, in the order they were asked for.
    """

    classes: list[str]
    splits: list[SplitRecord]


def sort_splits(names: list[str]) -> list[str]:
    """``train``, ``trainval``, ``val``, ``test`` first (those present), then the rest sorted."""
    known = [name for name in _SPLIT_ORDER if name in names]
    return known + sorted(set(names) - set(known))


def image_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` from the image file's header (PIL), or ``None`` (logged) if unreadable.

    EXIF orientation is not applied, as detseg's image reading does not apply it either.
    """
    try:
        with Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError, Image.DecompressionBombError) as error:
        logger.warning("%s: cannot read the image size (%s); image skipped", path, error)
        return None
    return int(width), int(height)


def file_image_size(path: Path, stated: tuple[int, int], where: str) -> tuple[int, int] | None:
    """``(width, height)`` of the image file's header, or ``None`` (logged) if unreadable.

    Boxes are clipped to this size and YOLO output is normalised by it, so the file is the
    reference: a ``stated`` size (COCO ``width`` / ``height``, VOC ``<size>``) that differs is
    logged, naming ``where``, and not used.

    Args:
        path: The image file.
        stated: ``(width, height)`` the annotation gives; ``(0, 0)`` (or any non-positive
            value) when it gives none.
        where: What to name in the warning (the annotation file and entry).
    """
    size = image_size(path)
    if size is not None and min(stated) > 0 and tuple(stated) != size:
        logger.warning(
            "%s: the annotation gives the size %dx%d (WxH) but %s is %dx%d; its boxes are "
            "read against the image's size (fix the annotation's width/height)",
            where,
            stated[0],
            stated[1],
            path,
            size[0],
            size[1],
        )
    return size


def checked_box(box: Box, width: int, height: int, where: str) -> Box | None:
    """``box`` (``xyxy`` pixels) clipped to the image, or ``None`` (logged) if it is unusable.

    Args:
        box: ``(x1, y1, x2, y2)`` absolute pixels, as the source gave it.
        width: Image width in pixels.
        height: Image height in pixels.
        where: What to name in the warning (file and annotation).

    Returns:
        The clipped box, or ``None`` for a non-finite box or one with no width or height
        inside the image.
    """
    if not all(math.isfinite(v) for v in box):
        logger.warning("%s: box %s is not finite; object skipped", where, list(box))
        return None
    x1, y1, x2, y2 = (float(v) for v in box)
    clipped = (min(max(x1, 0.0), width), min(max(y1, 0.0), height))
    clipped_end = (min(max(x2, 0.0), width), min(max(y2, 0.0), height))
    if clipped_end[0] <= clipped[0] or clipped_end[1] <= clipped[1]:
        logger.warning(
            "%s: box %s has no area inside the %dx%d image; object skipped",
            where,
            [x1, y1, x2, y2],
            width,
            height,
        )
        return None
    return (clipped[0], clipped[1], clipped_end[0], clipped_end[1])


def class_index_map(source: list[str], target: list[str]) -> list[int | None]:
    """For each source class, its index in ``target`` (matched by name), or ``None``."""
    position = {name: k for k, name in enumerate(target)}
    return [position.get(name) for name in source]
