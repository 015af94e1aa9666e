"""The ``area`` and ``iscrowd`` a COCO annotation gets when its json leaves them out.

Training reads these defaults for its targets, and the evaluation must score against the same
values: :meth:`~detseg.data.coco.CocoDetection.coco_gt`, ``eval.py --gt`` and the evaluation
report all fill a ground truth through :func:`with_eval_defaults`. Kept apart from the dataset so
that the evaluation can apply the rule to a json without building a dataset.
"""

from __future__ import annotations

import numpy as np
from pycocotools import mask as mask_utils

from detseg.data.coco_fields import coco_box_xyxy, entry_size
from detseg.data.coco_masks import polygon_parts, segmentation_rle

__all__ = ["default_area", "ground_truth_with_eval_defaults", "with_eval_defaults"]


def with_eval_defaults(ann: dict, image_size: tuple[int, int] | None = None) -> dict:
    """``ann`` itself, or a copy with the ``area`` and ``iscrowd`` (0) the reader assumes when
    the json leaves them out.

    The ``area`` is COCO's: for an annotation with a ``segmentation``, the pixel count of its
    mask (pycocotools' ``maskUtils.area`` of its RLE, or of its polygons rasterised at
    ``image_size = (H, W)``, the image entry's size; the readers' training targets count mask
    pixels too); the box's ``w * h`` otherwise, or when the segmentation cannot be read.
    """
    if "area" in ann and "iscrowd" in ann:
        return ann
    area = ann["area"] if "area" in ann else default_area(ann, image_size)
    return {"iscrowd": 0, **ann, "area": area}


def default_area(ann: dict, image_size: tuple[int, int] | None = None) -> float:
    """The area (px²) of an annotation that states none: its mask's pixel count
    (:func:`_segmentation_area`), or its box's ``w * h`` without a readable segmentation."""
    area = _segmentation_area(ann, image_size)
    if area is None:
        x1, y1, x2, y2 = coco_box_xyxy(ann.get("bbox"))
        area = (x2 - x1) * (y2 - y1)
    return area


def _segmentation_area(ann: dict, image_size: tuple[int, int] | None = None) -> float | None:
    """Pixel count of ``ann``'s ``segmentation`` (``None`` without a readable one).

    An RLE states its own size. Polygons are rasterised on an image large enough to hold them
    (pycocotools' polygon area does not depend on the canvas past the polygon's extent) when
    ``image_size = (H, W)`` is ``None`` or not positive, else on that size (clipping what lies
    outside).
    """
    segm = ann.get("segmentation")
    if not segm:
        return None
    try:
        if isinstance(segm, list):
            polygons = polygon_parts(segm)
            if image_size is None or min(image_size) <= 0:  # some tools write 0: unknown
                extent = max(max(part[0::2] + part[1::2]) for part in polygons)
                side = max(int(np.ceil(float(extent))) + 1, 1)
                image_size = (side, side)
            rle = segmentation_rle(polygons, *image_size)
        else:
            rle = segmentation_rle(segm, 0, 0)
        return float(mask_utils.area(rle))
    except Exception:  # pycocotools raises plain Exceptions on malformed input
        return None


def ground_truth_with_eval_defaults(gt: dict) -> dict:
    """``gt`` where an annotation without ``area`` or ``iscrowd`` has the values the COCO reader
    gives it in training and in a checkpoint's evaluation (its mask's pixel count, or its box's
    ``w * h`` px² without a segmentation; ``0``:
    :func:`with_eval_defaults`); ``gt`` itself when it has no annotation list
    (:func:`~detseg.evaluation.coco_checks.check_ground_truth` names that)."""
    annotations = gt.get("annotations")
    if not isinstance(annotations, list):
        return gt
    images = gt.get("images")
    sizes = {
        entry.get("id"): entry_size(entry)
        for entry in (images if isinstance(images, list) else [])
        if isinstance(entry, dict) and isinstance(entry.get("id"), int)
    }
    filled = [
        with_eval_defaults(a, sizes.get(a.get("image_id"))) if isinstance(a, dict) else a
        for a in annotations
    ]
    return {**gt, "annotations": filled}
