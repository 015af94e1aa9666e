"""Result segmentations given as polygons or uncompressed RLEs, turned into compressed RLEs.

pycocotools and faster-coco-eval read a result's mask (its area, its box) from a compressed RLE
only. :func:`compress_segmentations` gives every other form of a ``"segm"`` result the
compressed RLE of its mask, rasterised as pycocotools rasterises polygons, and warns once when
masks are not at their image's size; :func:`empty_rle` is the all-zero mask the ground truth's
cleaning (:mod:`detseg.evaluation.coco_ground_truth`) gives an annotation left without parts.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from detseg.evaluation.coco_checks import check_uncompressed_rle

logger = logging.getLogger(__name__)

#: ``pycocotools.mask``, untyped: its stubs list fewer argument forms than it reads (polygon
#: lists, uncompressed RLEs) and type RLE ``counts`` as bytes only.
_MASK_API: Any = mask_utils


def compress_segmentations(dets: list[dict], gt: dict) -> None:
    """Give every detection (in place; copies from
    :func:`~detseg.evaluation.coco._copy_detections`) whose ``segmentation`` is polygons or an
    uncompressed RLE (``counts`` a list) the compressed RLE of that mask.

    Both libraries read a result's area (and its box, when it has none) from a compressed RLE
    only and fail with a ``TypeError`` on the other forms. Polygons are rasterised at the
    image's ``height`` x ``width`` as pycocotools rasterises those of results that have a box
    (``frPyObjects`` and ``merge``; parts of fewer than 3 points left out, as in the ground
    truth), so the numbers are those pycocotools gives the polygons wherever it reads them.
    """
    sizes = {img["id"]: (int(img["height"]), int(img["width"])) for img in gt["images"]}
    for i, det in enumerate(dets):
        segmentation = det["segmentation"]
        if isinstance(segmentation, list):
            det["segmentation"] = _polygons_rle(segmentation, *sizes[det["image_id"]])
        elif isinstance(segmentation, dict) and isinstance(segmentation.get("counts"), list):
            check_uncompressed_rle(segmentation, f"detection {i} (image {det['image_id']})")
            rle = _MASK_API.frPyObjects(segmentation, *segmentation["size"])
            det["segmentation"] = {**rle, "counts": rle["counts"].decode("ascii")}
    _warn_about_mask_sizes(dets, sizes)


def _warn_about_mask_sizes(dets: list[dict], sizes: dict) -> None:
    """One warning when RLEs of ``dets`` differ in size from their images (``sizes``:
    ``{image id: (height, width)}``): both libraries then give such a mask IoU 0 with every
    ground truth, so the masks were most likely made at another resolution."""
    wrong = [
        (i, det["image_id"], list(det["segmentation"].get("size", [])))
        for i, det in enumerate(dets)
        if isinstance(det["segmentation"], dict)
        and list(det["segmentation"].get("size", [])) != list(sizes[det["image_id"]])
    ]
    if wrong:
        i, image_id, size = wrong[0]
        height, width = sizes[image_id]
        logger.warning(
            "%d detection mask(s) differ in size from their image and overlap no ground truth "
            "(first: detection %d, RLE size %s, image %s is %d x %d): give masks at the size of "
            "images[].height, width",
            len(wrong),
            i,
            size,
            image_id,
            height,
            width,
        )


def _polygons_rle(polygons: list, height: int, width: int) -> dict:
    """Compressed RLE (``counts`` str) of COCO polygons ``[[x1, y1, x2, y2, ...], ...]``
    (absolute pixels) drawn at ``height`` x ``width``, without the parts of fewer than 3 points."""
    kept = [p for p in polygons if isinstance(p, (list, tuple)) and len(p) >= 6]
    if not kept:
        return empty_rle(height, width)
    rle = _MASK_API.merge(_MASK_API.frPyObjects(kept, height, width))
    return {**rle, "counts": rle["counts"].decode("ascii")}


def empty_rle(height: int, width: int) -> dict:
    """Compressed RLE (``counts`` str) of an all-zero ``height`` x ``width`` mask."""
    rle = _MASK_API.encode(np.zeros((height, width), dtype=np.uint8, order="F"))
    rle["counts"] = rle["counts"].decode("ascii")
    return rle
