"""Decoding one COCO annotation's ``segmentation`` into a mask.

Polygons, RLEs (compressed, or uncompressed as crowd regions have them) and, without a
segmentation, the box are turned into a ``UInt8[H, W]`` mask, refusing the malformed input that
would crash pycocotools. Separate from the datasets because the detection and semantic COCO
readers, the area defaults of the evaluation and the dataset converter all decode the same way.
:func:`count_box_masks` and :func:`box_mask_message` say how many instances would train on
their filled boxes (a mask model's data without ``segmentation``), in training's warning and in
``tools/check_data.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from detseg.data.coco_fields import coco_box_xyxy, is_number, short_json

__all__ = [
    "MAX_POLYGON_COORDINATE",
    "box_mask_message",
    "count_box_masks",
    "decode_segmentation",
    "polygon_parts",
    "segmentation_rle",
    "warn_about_box_masks",
]

logger = logging.getLogger(__name__)

#: A polygon coordinate farther than this (px) from the origin makes a segmentation malformed.
MAX_POLYGON_COORDINATE = 1e6


def decode_segmentation(ann: dict, height: int, width: int, source: Path) -> np.ndarray:
    """``UInt8[H, W]`` mask of one annotation: its polygons, its RLE (compressed, or
    uncompressed as crowd regions have it), or its box when it has no segmentation.

    A malformed segmentation (a polygon coordinate that is not a finite number within
    :data:`MAX_POLYGON_COORDINATE` px, no part with 3 points, an uncompressed RLE run that is not
    a non-negative whole number), a flat polygon (every part's
    points collinear or repeated: no area), or an RLE of another size than the image gives an
    empty mask and a warning naming the file and the annotation id (the detection reader then
    drops the instance and counts it in ``target["dropped_boxes"]``; the semantic reader paints
    nothing for it).
    """
    segm = ann.get("segmentation")
    if not segm:
        return _box_mask(ann.get("bbox"), height, width)
    try:
        rle = segmentation_rle(segm, height, width)
        size = tuple(int(v) for v in rle["size"])
        if size == (height, width):
            mask = mask_utils.decode(rle).astype(np.uint8)
            if isinstance(segm, list) and not mask.any() and _flat(segm):
                problem = "a flat polygon (its points are collinear or repeated, so it has no area)"
            else:
                return mask
        else:
            problem = f"an RLE of size {list(size)} but the image is {height}x{width}"
    except Exception as exc:  # pycocotools raises plain Exceptions on malformed input
        problem = f"a malformed segmentation ({type(exc).__name__}: {exc})"
    logger.warning(
        "%s: annotation %s has %s: its mask is empty (fix its segmentation, or remove it to use "
        "the box)",
        source,
        ann.get("id"),
        problem,
    )
    return np.zeros((height, width), dtype=np.uint8)


def count_box_masks(anns: Iterable[dict]) -> tuple[int, int]:
    """``(without, total)``: of the instances among ``anns`` (crowd regions left out: training
    drops them), how many have no ``segmentation``, whose masks :func:`decode_segmentation`
    makes from their boxes."""
    without = total = 0
    for ann in anns:
        if ann.get("iscrowd", 0) == 1:
            continue
        total += 1
        without += not ann.get("segmentation")
    return without, total


def box_mask_message(ann_file: Any, without: int, total: int) -> str:
    """One line: ``without`` of the ``total`` instances of ``ann_file`` have no
    ``segmentation``, so a mask model learns their filled boxes as masks; what to do."""
    return (
        f"{ann_file}: {without} of {total} instances have no 'segmentation': their masks are "
        "their filled boxes, so a mask model learns boxes as masks; add each instance's mask "
        "(polygons or an RLE) to the file, or train a box model (e.g. faster_rcnn) for boxes alone"
    )


def warn_about_box_masks(dataset: Any) -> None:
    """Warn once (:func:`box_mask_message`) when instances of ``dataset`` (read with its masks)
    have no ``segmentation``. A dataset without ``box_mask_count`` (no COCO json) is passed
    over."""
    count = getattr(dataset, "box_mask_count", None)
    if count is None:
        return
    without, total = count()
    if without:
        logger.warning("%s", box_mask_message(dataset.ann_file, without, total))


def segmentation_rle(segm: Any, height: int, width: int) -> Any:
    """The compressed RLE (a pycocotools ``dict(size, counts)``) of a COCO ``segmentation``."""
    if isinstance(segm, list):  # polygons: [[x1, y1, x2, y2, ...], ...]
        return mask_utils.merge(mask_utils.frPyObjects(polygon_parts(segm), height, width))
    if not isinstance(segm, dict):
        raise ValueError(f"expected a list of polygons or an RLE dict, got {type(segm).__name__}")
    if isinstance(segm.get("counts"), list):  # uncompressed RLE
        rows, cols = (int(v) for v in segm["size"])
        uncompressed: Any = segm
        bad = next((c for c in segm["counts"] if not _is_run(c)), None)
        if bad is not None:  # pycocotools truncates a fraction and overflows on a negative run
            raise ValueError(
                f"its RLE counts hold {short_json(bad)}; runs are non-negative whole numbers"
            )
        if sum(segm["counts"]) != rows * cols:
            raise ValueError(f"its RLE counts do not add up to its size {rows}x{cols}")
        return mask_utils.frPyObjects(uncompressed, rows, cols)
    return segm


def _is_run(value: Any) -> bool:
    """A run of an uncompressed RLE: a non-negative whole number (``3`` or ``3.0``, which
    pycocotools reads alike; not a bool, a fraction or a negative number)."""
    return is_number(value) and value >= 0 and float(value).is_integer()


def polygon_parts(segm: list) -> list:
    """The parts of a polygon ``segmentation`` with at least 3 points (6 numbers).

    COCO has a few annotations with a degenerate part (2 points, 4 numbers). pycocotools would
    read a list whose first part has 4 numbers as ``[x, y, w, h]`` boxes (and fail on the
    others), so one such part would cost the whole instance; it is left out instead, as
    Detectron2 does.

    A coordinate that is not a finite number within :data:`MAX_POLYGON_COORDINATE` of the
    origin is refused: pycocotools turns NaN, infinity or a huge value into an integer overflow
    or a path of billions of points, and the process dies (segmentation fault, or out of memory)
    without naming the file.

    Raises:
        ValueError: No part has 3 points, a coordinate is not such a number, or the polygon
            is a flat ``[x1, y1, ...]`` list without its enclosing list.
    """
    if segm and all(map(is_number, segm)):
        raise ValueError(
            "it is one flat list of numbers; COCO polygons are a list of parts: "
            "[[x1, y1, x2, y2, ...]]"
        )
    polygons = [part for part in segm if isinstance(part, (list, tuple)) and len(part) >= 6]
    if not polygons:
        raise ValueError("no polygon has 3 or more points")
    for part in polygons:
        if not all(map(is_number, part)):
            bad = next(v for v in part if not is_number(v))
            raise ValueError(f"polygon coordinate {short_json(bad)} is not a number")
        coords = np.asarray(part, dtype=np.float64)
        if not (np.abs(coords) <= MAX_POLYGON_COORDINATE).all():  # NaN compares False too
            bad = coords[~(np.abs(coords) <= MAX_POLYGON_COORDINATE)][0]
            raise ValueError(
                f"polygon coordinate {bad} is not a finite number within "
                f"{MAX_POLYGON_COORDINATE:g} px"
            )
    return polygons


def _flat(segm: list) -> bool:
    """Whether every part of a polygon ``segmentation`` (``[[x1, y1, x2, y2, ...], ...]``, as
    :func:`polygon_parts` keeps them) has all its points on one line (or all on one point)."""
    for part in polygon_parts(segm):
        points = np.asarray(part[: len(part) // 2 * 2], dtype=np.float64).reshape(-1, 2)
        edges = points[1:] - points[0]  # from the first point to each other one
        reach = np.abs(edges).max(axis=1)
        if reach.max() == 0:  # all on one point
            continue
        direction = edges[reach.argmax()]  # the longest: the line the points would lie on
        cross = direction[0] * edges[:, 1] - direction[1] * edges[:, 0]
        if np.abs(cross).max() > 1e-9 * max(1.0, float(reach.max()) ** 2):
            return False
    return True


def _box_mask(bbox: Any, height: int, width: int) -> np.ndarray:
    """``UInt8[H, W]`` filled COCO box ``[x, y, w, h]`` (empty for a malformed box)."""
    x1, y1, x2, y2 = coco_box_xyxy(bbox)
    mask = np.zeros((height, width), dtype=np.uint8)
    if np.isfinite([x1, y1, x2, y2]).all():
        # clamp both ends at 0: a negative end would index from the far side of the image
        rows = slice(max(int(np.floor(y1)), 0), max(int(np.ceil(y2)), 0))
        cols = slice(max(int(np.floor(x1)), 0), max(int(np.ceil(x2)), 0))
        mask[rows, cols] = 1
    return mask
