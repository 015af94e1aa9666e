"""Read a COCO-json detection dataset into a format-neutral :class:`DatasetRecord`.

Layout of a split (the shapes layout, ``detseg.data.registry.DATA_DEFAULTS["coco"]``)::

    <root>/<split>/images/<file_name>
    <root>/annotations/instances_<split>.json

When ``<root>/<split>/images`` is absent the images are looked for in ``<root>/<split>/`` (the
COCO 2017 layout: ``train2017/`` with ``annotations/instances_train2017.json``). The splits of a
root are the ``<split>`` of its ``annotations/instances_<split>.json`` files.

Classes are the category names in increasing id order (detseg's label order); every split must list
the same categories. ``bbox = [x, y, w, h]`` becomes ``xyxy``; ``iscrowd`` and the optional
``"difficult": 1`` and ``"truncated": 1`` fields (VOC flags) are kept as flags. ``segmentation`` is
read only when asked (``segments``, for YOLO segment lines), as one outline per object (an object
whose polygons have no usable part keeps its box, and its annotation id is reported). Image sizes
come from the image headers (a json ``width`` / ``height`` that differs is reported and not used);
an unreadable image is skipped.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path, PureWindowsPath
from typing import Any

import cv2
import numpy as np

from detseg.convert.datasets.image_notes import IMAGE_SKIPPED, OBJECT_SKIPPED, note
from detseg.convert.datasets.records import (
    DatasetRecord,
    ImageRecord,
    Layout,
    ObjectRecord,
    SplitRecord,
    checked_box,
    class_index_map,
    file_image_size,
    reading,
    sort_splits,
)
from detseg.convert.datasets.source_layout import data_file_hint
from detseg.data.coco_fields import coco_image_file
from detseg.data.coco_json import load_coco_json
from detseg.data.coco_masks import decode_segmentation

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
        FileNotFoundError: The json or the images folder is missing (the message names the
            expected places and the splits that are there, or, for the images of a json that
            is there, the data file that names another folder: a CVAT export's ``images/``).
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
        f"{root / split} is a folder; move them there, or {data_file_hint('coco', root)}: "
        f"train_images (or val_images) their folder, train_ann {ann_file.relative_to(root)}"
    )


def _category_names(data: dict[str, Any], ann_file: Path) -> tuple[list[int], list[str]]:
    """Category ids and names in increasing id order, each name stripped of surrounding
    whitespace once here: the output's ``classes.txt`` and VOC ``<name>`` hold it as the
    training readers read it back (they strip).

    Raises:
        ValueError: Two categories whose names are equal (after stripping), naming both.
    """
    categories = sorted(data["categories"], key=lambda c: int(c["id"]))
    written = [str(c.get("name", c["id"])) for c in categories]
    names = [name.strip() for name in written]
    first: dict[str, int] = {}
    for k, name in enumerate(names):
        if name not in first:
            first[name] = k
            continue
        j = first[name]
        same = "are the same" if written[j] == written[k] else "are the same without spaces"
        raise ValueError(
            f"{ann_file}: the names of category ids {categories[j]['id']} ({written[j]!r}) and "
            f"{categories[k]['id']} ({written[k]!r}) {same}; give each category its own name"
        )
    return [int(c["id"]) for c in categories], names


def _image_record(entry: dict[str, Any], images_dir: Path, ann_file: Path) -> ImageRecord | None:
    """The record of one ``images`` entry (objects added later), or ``None`` if unusable."""
    path = coco_image_file(images_dir, entry.get("file_name", ""))  # the training reader's rule
    if not path.is_file():
        place = f"{ann_file} (image id {entry.get('id')})"
        note(
            IMAGE_SKIPPED,
            place,
            f"{ann_file}: image {path} of id {entry.get('id')} not found; skipped",
        )
        return None
    stated = (_int_or_zero(entry.get("width")), _int_or_zero(entry.get("height")))
    size = file_image_size(path, stated, f"{ann_file} (image id {entry.get('id')})")
    if size is None:
        return None
    name = str(entry["file_name"])
    if path != images_dir / name:  # found with "/" for Windows separators: name it so
        name = PureWindowsPath(name).as_posix()
    width, height, orientation = size
    return ImageRecord(path, name, width, height, orientation=orientation)


def _int_or_zero(value: Any) -> int:
    """``int(value)``, or ``0`` for a missing or non-numeric value."""
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0


def _joined_parts(parts: list[list[float]]) -> list[float]:
    """One ring ``[x1, y1, ...]`` of the polygon parts ``[[x1, y1, ...], ...]``.

    Each part is walked round (back to its first point), the parts in order, and the path
    comes back through the parts' first points: the bridges between parts are walked both
    ways, so they add no area, and the ring's extent is that of all parts.
    """
    if len(parts) == 1:
        return parts[0]
    ring: list[float] = []
    for part in parts:
        ring += part + part[:2]
    for part in reversed(parts[1:-1]):
        ring += part[:2]
    return ring


def _polygon_outline(segm: list[Any], image: ImageRecord) -> tuple[float, ...]:
    """A polygon ``segmentation`` as one ring in pixels clipped to the image; ``()`` when no
    part has 3 points with finite coordinates."""
    parts = []
    for part in segm:
        try:
            values = [float(v) for v in part]
        except (TypeError, ValueError):
            continue
        if len(values) >= 6 and len(values) % 2 == 0 and all(map(math.isfinite, values)):
            sides = (image.width, image.height)
            parts.append([min(max(v, 0.0), sides[k % 2]) for k, v in enumerate(values)])
    return tuple(_joined_parts(parts)) if parts else ()


def _mask_outline(ann: dict[str, Any], image: ImageRecord) -> tuple[float, ...]:
    """The outer outline of an RLE ``segmentation``, along the pixels' edges (pixel ``(x, y)``
    spans ``[x, x + 1] x [y, y + 1]``, COCO's polygon coordinates), a mask in several parts
    (an occluded object) as one ring of its parts: its extent is the mask's box
    (``pycocotools.mask.toBbox``) and it encloses the mask's pixels; ``()`` for an empty
    mask."""
    mask = decode_segmentation(ann, image.height, image.width, image.path)
    return _pixel_edge_outline(mask)


def _pixel_edge_outline(mask: np.ndarray) -> tuple[float, ...]:
    """``(x1, y1, x2, y2, ...)``: the outer contours of ``mask`` (``uint8 [H, W]``, non-zero =
    object) on the pixel corners, the largest first, joined into one ring as polygon parts are
    (:func:`_joined_parts`: the bridges between parts add no area, and the ring's extent is the
    whole mask's, the box YOLO training reads from a segment line); ``()`` when it has no
    pixel.

    OpenCV traces the centres of the boundary pixels, half a pixel inside the object's edge.
    Traced on the mask upsampled 2x (each pixel a 2 x 2 block), the centres of a block's
    left/top sub-pixels (even index ``u``) lie next to the pixel's left/top edge and those of
    its right/bottom ones (odd ``u``) next to its right/bottom edge: ``(u + 1) // 2`` is that
    edge's coordinate.
    """
    upsampled = np.ascontiguousarray(np.kron(mask != 0, np.ones((2, 2), dtype=bool)), np.uint8)
    contours, _ = cv2.findContours(upsampled, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    ordered = sorted(contours, key=lambda c: (cv2.contourArea(c), len(c)), reverse=True)
    parts = [part for part in map(_corners, ordered) if part]
    return tuple(_joined_parts(parts)) if parts else ()


def _corners(contour: np.ndarray) -> list[float]:
    """``[x1, y1, ...]`` pixel corners of one contour traced on the 2x mask (see
    :func:`_pixel_edge_outline`), each corner once; ``[]`` for a trace of under 3 corners
    (every sub-pixel trace of a pixel has 3 or more)."""
    corners = (np.asarray(contour, dtype=np.int64).reshape(-1, 2) + 1) // 2
    keep = np.any(corners != np.roll(corners, 1, axis=0), axis=1)  # repeated corners once
    corners = corners[keep] if keep.any() else corners[:1]
    return [float(v) for v in corners.reshape(-1)] if len(corners) >= 3 else []


def _outline(ann: dict[str, Any], image: ImageRecord) -> tuple[float, ...]:
    """The object's outline ``(x1, y1, x2, y2, ...)`` pixels of its ``segmentation``
    (polygons, and an RLE mask's outer contours: their parts joined into one ring); ``()`` for
    none, a crowd region (not written as a segment) or an unusable one."""
    segm = ann.get("segmentation")
    if not segm or ann.get("iscrowd"):
        return ()
    if isinstance(segm, list):
        return _polygon_outline(segm, image)
    return _mask_outline(ann, image) if isinstance(segm, dict) else ()


def _object(
    ann: dict[str, Any], image: ImageRecord, class_index: int, segments: bool = False
) -> ObjectRecord | None:
    """The object of one annotation (with its outline when ``segments``), or ``None``
    (logged) for a malformed box."""
    where = f"{image.path} (annotation {ann.get('id')})"
    try:
        x, y, w, h = (float(v) for v in ann["bbox"])
    except (KeyError, TypeError, ValueError):
        note(
            OBJECT_SKIPPED,
            where,
            f"{where}: bbox {ann.get('bbox')!r} is not [x, y, w, h]; object skipped",
        )
        return None
    box = checked_box((x, y, x + w, y + h), image.width, image.height, where)
    if box is None:
        return None
    crowd, difficult = bool(ann.get("iscrowd", 0)), bool(ann.get("difficult", 0))
    truncated = bool(ann.get("truncated", 0))
    polygon = _outline(ann, image) if segments else ()
    return ObjectRecord(box, class_index, crowd, difficult, polygon=polygon, truncated=truncated)


def _read_split(
    root: Path,
    split: str,
    classes: list[str] | None,
    layout: Layout,
    segments: bool,
    progress: bool | None,
) -> tuple[SplitRecord, list[str]]:
    """One split and its category names (``classes`` given: objects mapped by name)."""
    files = layout.get(split)
    if files is not None and files.images is not None and files.annotations is not None:
        images_dir, ann_file = files.images, files.annotations
    else:
        images_dir, ann_file = coco_split_paths(root, split)
    data = load_coco_json(ann_file)
    cat_ids, names = _category_names(data, ann_file)
    targets = class_index_map(names, classes if classes is not None else names)
    index_of = dict(zip(cat_ids, targets, strict=True))
    record = SplitRecord(split, [])
    by_id: dict[Any, ImageRecord] = {}
    by_path: dict[Path, ImageRecord] = {}
    merged: list[Any] = []  # ids of the images entries of a file an earlier entry names
    for entry in reading(data["images"], "coco", split, progress):
        image = _image_record(entry, images_dir, ann_file)
        if image is None:
            record.skipped_images += 1
            continue
        if image.path in by_path:  # one file, one image: the entries' annotations together
            by_id[entry.get("id")] = by_path[image.path]
            merged.append(entry.get("id"))
            continue
        by_id[entry.get("id")] = by_path[image.path] = image
        record.images.append(image)
    if merged:
        logger.warning(
            "%s: the images entries of ids %s name a file that an earlier entry names too; "
            "their annotations are merged into that file's image",
            ann_file,
            _first_few(merged),
        )
    other_classes: list[dict[str, Any]] = []  # annotations of a category not converted
    listed = {entry.get("id") for entry in data["images"]}
    unlisted: list[Any] = []  # ids of the annotations of an image id no images entry has
    no_outline: list[Any] = []  # ids of the objects whose polygons are unusable: boxes
    for ann in data["annotations"]:
        image = by_id.get(ann.get("image_id"))
        class_index = index_of.get(ann.get("category_id"))
        if class_index is None:
            other_classes.append(ann)
        if ann.get("image_id") not in listed:
            unlisted.append(ann.get("id"))
        obj = None
        if image is not None and class_index is not None:
            obj = _object(ann, image, class_index, segments)
        if image is None or obj is None:  # image None: an annotation of a skipped image
            record.skipped_objects += 1
        else:
            image.objects.append(obj)
            if segments and not obj.polygon and _has_polygons(ann):
                no_outline.append(ann.get("id"))
    _warn_other_classes(ann_file, other_classes, dict(zip(cat_ids, names, strict=True)))
    if unlisted:
        logger.warning(
            "%s: %d annotation(s) name an image_id that no 'images' entry has and were skipped "
            "(annotation ids %s); add the image entries or fix their image_id",
            ann_file,
            len(unlisted),
            _first_few(unlisted),
        )
    if no_outline:
        logger.warning(
            "%s: %d annotation(s) have a polygon segmentation with no usable part (each part "
            "a list [x1, y1, x2, y2, ...] of 3 points or more) and keep only their box "
            "(annotation ids %s); fix their segmentation",
            ann_file,
            len(no_outline),
            _first_few(no_outline),
        )
    return record, names


def _has_polygons(ann: dict[str, Any]) -> bool:
    """Whether ``ann`` states a segmentation that is not an RLE (which reports its own
    problems when decoded) and is no crowd region (which gets no outline)."""
    segm = ann.get("segmentation")
    return bool(segm) and not isinstance(segm, dict) and not ann.get("iscrowd")


def _first_few(values: list[Any], count: int = 5) -> str:
    """The first ``count`` of ``values``, comma-separated, ``", ..."`` after when there are more."""
    return ", ".join(str(v) for v in values[:count]) + (", ..." if len(values) > count else "")


def _warn_other_classes(
    ann_file: Path, skipped: list[dict[str, Any]], names_of: dict[int, str]
) -> None:
    """Log the annotations skipped for their category, naming a few annotation and category
    ids: those whose ``category_id`` no ``categories`` entry has (a data error), apart from
    those of a listed category left out of the converted classes (``--classes``)."""
    unknown = [ann for ann in skipped if ann.get("category_id") not in names_of]
    if unknown:
        logger.warning(
            "%s: %d annotation(s) have a category_id that no 'categories' entry has and were "
            "skipped (category ids %s; annotation ids %s); add the categories or fix their "
            "category_id",
            ann_file,
            len(unknown),
            _first_few(list(dict.fromkeys(ann.get("category_id") for ann in unknown))),
            _first_few([ann.get("id") for ann in unknown]),
        )
    excluded = [ann for ann in skipped if ann.get("category_id") in names_of]
    if excluded:
        categories = dict.fromkeys(ann["category_id"] for ann in excluded)
        logger.warning(
            "%s: %d annotation(s) of categories not among the converted classes were skipped "
            "(categories %s; annotation ids %s)",
            ann_file,
            len(excluded),
            _first_few([f"{cat_id} {names_of[cat_id]!r}" for cat_id in categories]),
            _first_few([ann.get("id") for ann in excluded]),
        )


def read_coco(
    root: Path,
    splits: list[str],
    classes: list[str] | None = None,
    layout: Layout | None = None,
    progress: bool | None = None,
    segments: bool = False,
) -> DatasetRecord:
    """Read ``splits`` of the COCO dataset at ``root``.

    Args:
        root: Dataset folder (layout in the module docstring).
        splits: Split names to read.
        classes: Output class names; objects are mapped to them by category name and objects of
            other categories are skipped. ``None``: the categories, in id order.
        layout: The images folder and json of the splits a data file names (read there, not
            in the default layout; :mod:`detseg.convert.datasets.source_layout`).
        progress: A progress bar per split over its images
            (:func:`~detseg.convert.datasets.records.reading`).
        segments: Also read each object's outline (``ObjectRecord.polygon``) from its
            ``segmentation``: polygon parts, or an RLE mask's outer contours, joined into one
            ring; crowd regions get none.

    Raises:
        FileNotFoundError: A split's json or images folder is missing.
        ValueError: A json that is not COCO, or splits whose categories differ.
    """
    records, first_names = [], None
    for split in splits:
        record, names = _read_split(root, split, classes, layout or {}, segments, progress)
        if first_names is not None and names != first_names and classes is None:
            raise ValueError(
                f"COCO split {split!r} of {root} has categories {names}, split {splits[0]!r} "
                f"has {first_names}; convert them separately or pass the class names (--classes)"
            )
        first_names = first_names or names
        records.append(record)
    return DatasetRecord(list(classes if classes is not None else first_names or []), records)
