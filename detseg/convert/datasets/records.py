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

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TypeVar

from PIL import Image

from detseg.convert.datasets.image_notes import IMAGE_SKIPPED, OBJECT_SKIPPED, STATED_SIZE, note
from detseg.data.image_io import (
    file_exif_orientation,
    labels_follow_orientation,
    pillow_pixel_limit_lifted,
)
from detseg.progress_bars import progress_bar

__all__ = [
    "DatasetRecord",
    "ImageRecord",
    "ObjectRecord",
    "SplitFiles",
    "SplitRecord",
    "checked_box",
    "class_index_map",
    "for_stated_size",
    "image_size",
    "in_displayed_pixels",
    "in_stored_pixels",
    "reading",
    "sort_splits",
    "to_displayed_pixels",
    "to_stored_pixels",
]


#: Splits named like this come first, in this order; other split names follow sorted.
_SPLIT_ORDER = ("train", "trainval", "val", "test")

Box = tuple[float, float, float, float]
T = TypeVar("T")


def reading(items: list[T], fmt: str, split: str, progress: bool | None) -> Iterable[T]:
    """``items`` (the images of a split a reader opens one by one) with a tqdm bar on stderr
    named ``read <fmt> <split>``: ``progress=None`` shows it only when stderr is a terminal,
    ``True`` always, ``False`` never."""
    return progress_bar(items, desc=f"read {fmt} {split}", unit="img", progress=progress)


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
        orientation: ``1``: ``width``, ``height`` and the boxes refer to the stored pixels.
            ``2..8``: the file is a JPEG with this EXIF orientation and they refer to the image
            as displayed: a COCO / VOC annotation that stated the displayed size of a quarter
            turn (5..8, :func:`file_image_size`), or any tagged image of a YOLO source (YOLO
            labels refer to the displayed image). Writers move them to the pixels their format
            is read in (:func:`for_stated_size`, :func:`in_displayed_pixels`).
    """

    path: Path
    file_name: str
    width: int
    height: int
    objects: list[ObjectRecord] = field(default_factory=list)
    orientation: int = 1


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

    EXIF orientation is not applied (see :func:`file_image_size`). Pillow's decompression-bomb
    limit (``Image.MAX_IMAGE_PIXELS``, ~179 million pixels) is lifted for this read, which
    decodes no pixels: training decodes with OpenCV, whose own limit (``2**30`` pixels) is
    larger, so a large aerial or slide image is converted, not skipped as unreadable.
    """
    try:
        with pillow_pixel_limit_lifted(), Image.open(path) as image:
            width, height = image.size
    except (OSError, ValueError) as error:
        note(
            IMAGE_SKIPPED, str(path), f"{path}: cannot read the image size ({error}); image skipped"
        )
        return None
    return int(width), int(height)


def file_image_size(path: Path, stated: tuple[int, int], where: str) -> tuple[int, int, int] | None:
    """``(width, height, orientation)`` the annotations of the image file refer to, or ``None``
    (logged) if the file is unreadable.

    Boxes are clipped to this size (and YOLO output is normalised by it, turned to the
    displayed image, :func:`in_displayed_pixels`), so the file is the reference, read as the
    COCO / VOC training readers read it (:func:`detseg.data.image_io.labels_follow_orientation`):
    a JPEG whose EXIF orientation turns it a quarter (5..8) and whose ``stated`` size is its
    stored size transposed was annotated as displayed, and gives the displayed size with its
    orientation; any other file gives the header's (stored) size and orientation ``1``. A
    ``stated`` size (COCO ``width`` / ``height``, VOC ``<size>``) that differs is logged,
    naming ``where``, and not used.

    Args:
        path: The image file.
        stated: ``(width, height)`` the annotation gives; ``(0, 0)`` (or any non-positive
            value) when it gives none.
        where: What to name in the warning (the annotation file and entry).
    """
    size = image_size(path)
    if size is None:
        return None
    if tuple(stated) == (size[1], size[0]) != size:  # perhaps annotated as displayed
        orientation = file_exif_orientation(path)
        if labels_follow_orientation(orientation, (size[1], size[0]), (stated[1], stated[0])):
            return stated[0], stated[1], orientation
    if min(stated) > 0 and tuple(stated) != size:
        note(
            STATED_SIZE,
            where,
            f"{where}: the annotation gives the size {stated[0]}x{stated[1]} (WxH) but {path} "
            f"is {size[0]}x{size[1]}; its boxes are read against the image's size (fix the "
            "annotation's width/height)",
        )
    return size[0], size[1], 1


def to_stored_pixels(values: tuple[float, ...], image: ImageRecord) -> tuple[float, ...]:
    """Points ``(x1, y1, x2, y2, ...)`` in pixels of ``image`` as annotated (displayed under
    ``image.orientation``) moved to its stored pixels, whose size is ``(height, width)`` for
    5..8 (swapped): the inverse of :func:`detseg.data.image_io.apply_orientation` (which
    transposes for 5..8, then mirrors x for 2, 3, 6, 7 and y for 3, 4, 7, 8). A box's corners
    come back in any order: take their min and max."""
    orientation, moved = image.orientation, list[float]()
    for x, y in zip(values[0::2], values[1::2], strict=True):
        x = image.width - x if orientation in (2, 3, 6, 7) else x
        y = image.height - y if orientation in (3, 4, 7, 8) else y
        moved.extend((y, x) if orientation in (5, 6, 7, 8) else (x, y))
    return tuple(moved)


def to_displayed_pixels(
    values: tuple[float, ...], orientation: int, width: int, height: int
) -> tuple[float, ...]:
    """Points ``(x1, y1, x2, y2, ...)`` in the stored pixels (``width`` x ``height``) of a file
    with EXIF ``orientation`` moved to the image as displayed, as
    :func:`detseg.data.image_io.apply_orientation` turns the pixels: transposed for 5..8, then
    mirrored in x for 2, 3, 6, 7 and in y for 3, 4, 7, 8 (the inverse of
    :func:`to_stored_pixels`). A box's corners come back in any order: take their min and
    max."""
    swap = orientation in (5, 6, 7, 8)
    shown_w, shown_h = (height, width) if swap else (width, height)
    moved = list[float]()
    for x, y in zip(values[0::2], values[1::2], strict=True):
        x, y = (y, x) if swap else (x, y)
        x = shown_w - x if orientation in (2, 3, 6, 7) else x
        y = shown_h - y if orientation in (3, 4, 7, 8) else y
        moved.extend((x, y))
    return tuple(moved)


def _moved_objects(
    image: ImageRecord, move: Callable[[tuple[float, ...]], tuple[float, ...]]
) -> list[ObjectRecord]:
    """The objects of ``image`` with their boxes and outlines passed through ``move``."""
    moved = []
    for obj in image.objects:
        corners = move(obj.box)
        xs, ys = corners[0::2], corners[1::2]
        box = (min(xs), min(ys), max(xs), max(ys))
        moved.append(replace(obj, box=box, polygon=move(obj.polygon)))
    return moved


def in_stored_pixels(image: ImageRecord) -> ImageRecord:
    """``image`` (annotated as displayed under ``image.orientation``) with its size, boxes and
    outlines in the stored pixels, and ``orientation`` ``1``; ``image`` itself when it already
    refers to the stored pixels."""
    if image.orientation == 1:
        return image
    swap = image.orientation in (5, 6, 7, 8)
    width, height = (image.height, image.width) if swap else (image.width, image.height)
    objects = _moved_objects(image, lambda values: to_stored_pixels(values, image))
    return replace(image, width=width, height=height, objects=objects, orientation=1)


def in_displayed_pixels(image: ImageRecord) -> ImageRecord:
    """``image`` with its size, boxes and outlines in the pixels of the file as displayed (its
    EXIF orientation applied, as a YOLO dataset reads it), ``orientation`` the file's;
    ``image`` itself when it already refers to them or the file is not tagged."""
    if image.orientation != 1:
        return image
    orientation = file_exif_orientation(image.path)
    if orientation == 1:
        return image
    swap = orientation in (5, 6, 7, 8)
    width, height = (image.height, image.width) if swap else (image.width, image.height)
    objects = _moved_objects(
        image, lambda values: to_displayed_pixels(values, orientation, image.width, image.height)
    )
    return replace(image, width=width, height=height, objects=objects, orientation=orientation)


def for_stated_size(image: ImageRecord) -> ImageRecord:
    """``image`` as a COCO / VOC output states and annotates it: a record annotated as
    displayed stays so only where that format's reader reads it as displayed (a quarter turn
    of a non-square image, whose stated displayed size tells,
    :func:`detseg.data.image_io.labels_follow_orientation`); any other (a mirror or half turn,
    a square image) is moved to its stored pixels, which that reader reads."""
    stored = (image.width, image.height)  # (H, W) of the stored pixels of a quarter turn
    if image.orientation == 1 or labels_follow_orientation(
        image.orientation, stored, (image.height, image.width)
    ):
        return image
    return in_stored_pixels(image)


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
        note(OBJECT_SKIPPED, where, f"{where}: box {list(box)} is not finite; object skipped")
        return None
    x1, y1, x2, y2 = (float(v) for v in box)
    if x2 <= x1 or y2 <= y1:
        note(
            OBJECT_SKIPPED,
            where,
            f"{where}: box {[x1, y1, x2, y2]} has x2 <= x1 or y2 <= y1 (xyxy px; corners "
            "swapped?); object skipped",
        )
        return None
    clipped = (min(max(x1, 0.0), width), min(max(y1, 0.0), height))
    clipped_end = (min(max(x2, 0.0), width), min(max(y2, 0.0), height))
    if clipped_end[0] <= clipped[0] or clipped_end[1] <= clipped[1]:
        note(
            OBJECT_SKIPPED,
            where,
            f"{where}: box {[x1, y1, x2, y2]} has no area inside the {width}x{height} image; "
            "object skipped",
        )
        return None
    return (clipped[0], clipped[1], clipped_end[0], clipped_end[1])


def class_index_map(source: list[str], target: list[str]) -> list[int | None]:
    """For each source class, its index in ``target`` (matched by name), or ``None``."""
    position = {name: k for k, name in enumerate(target)}
    return [position.get(name) for name in source]
