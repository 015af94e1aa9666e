"""Sanitising annotation boxes where they enter detseg.

Real datasets contain boxes that are partly outside the image (rounding in the annotation
tool), degenerate (zero width or height), reversed, or not finite. The readers pass every box
through :func:`sanitize_boxes`:

* a box with a non-finite coordinate, or with ``x2 <= x1`` or ``y2 <= y1``, is dropped;
* a box that reaches outside the image is clipped to ``[0, W] x [0, H]`` (logged at DEBUG);
* a box whose clipped width or height is under ``min_size`` (1 px) is dropped; a box of
  exactly ``min_size`` is kept even when the float arithmetic that made its pixel coordinates
  (YOLO's normalised centres and sizes, a decimal step such as 0.1) left it a few ulps short
  (:data:`SIZE_ROUND_OFF`);
* whatever ``min_size``, a box kept has ``x1 < x2`` and ``y1 < y2`` in the ``Float32``
  coordinates returned: the broken boxes of :mod:`detseg.target_values` (what the loader's
  check of a dataset's items refuses) never leave a reader.

The rule (:func:`clip_to_image`) is shared with the dataset check
(:func:`detseg.dataset_check.box_flags.classify_boxes`), which counts what training will drop.

Every dropped box is logged as a warning that names the file and the box, and counted in
``target["dropped_boxes"]`` so the training loop can report it. Where the reader says where
each box is written (``places``: the VOC xml and the object's index, the YOLO label file and
line, the COCO annotation id), the warning names that place, the one to fix, and then the
image.

With instance masks (``load_masks``), :func:`check_masks` drops the instances whose mask does
not fit: an empty mask (no pixel, or an RLE of another size than the image, decoded as empty), or
one with fewer than :data:`MIN_MASK_FRACTION_IN_BOX` of its pixels inside its box. Such an
instance would teach the mask head a wrong target; each is logged as a warning that names the
file, the box and the reason, and counted in ``target["dropped_boxes"]`` with the bad boxes.

Crowd regions (COCO ``iscrowd=1``) are kept in the targets; :func:`remove_crowd` drops them
from a target (the validation loss calls it), and a dataset with ``drop_crowd`` leaves them out
before its augmentations (a training run's train split). Crowd boxes are neither positives nor
negatives in training, as in the torchvision references, while evaluation reads crowd regions
from the COCO ground truth.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

__all__ = [
    "ClippedBoxes",
    "MIN_MASK_FRACTION_IN_BOX",
    "PER_INSTANCE_KEYS",
    "SIZE_ROUND_OFF",
    "check_masks",
    "clip_to_image",
    "remove_crowd",
    "sanitize_boxes",
]

logger = logging.getLogger(__name__)

#: Float round-off (px) forgiven when a box's width or height is compared with ``min_size``:
#: ``(cx + w / 2) * W - (cx - w / 2) * W`` for a 1-px YOLO box is often ``0.9999999999999``.
SIZE_ROUND_OFF = 1e-3

#: Target entries with one row per instance (filtered together when instances are removed).
PER_INSTANCE_KEYS = ("boxes", "labels", "iscrowd", "area", "masks", "difficult")


@dataclass
class ClippedBoxes:
    """Boxes clipped to their image, and which of them a reader keeps (:func:`clip_to_image`).

    Attributes:
        clipped: ``Float64[N, 4]`` xyxy clipped to ``[0, W] x [0, H]`` (a box with a
            non-finite coordinate is all zeros).
        overhang: ``Float64[N]`` how far (px) the box reaches beyond ``[0, W] x [0, H]`` on its
            farthest side (0 inside the image and for a box with a non-finite coordinate).
        moved: ``Bool[N]``: clipping changed the box (it reached outside the image).
        finite: ``Bool[N]``: every coordinate is finite.
        ordered: ``Bool[N]``: finite with ``x1 < x2`` and ``y1 < y2`` before clipping.
        big_enough: ``Bool[N]``: at least ``min_size`` px wide and high inside the image (up to
            :data:`SIZE_ROUND_OFF`).
        keep: ``Bool[N]``: ordered, big enough, and with ``x1 < x2`` and ``y1 < y2`` in
            ``float32`` (a ``min_size`` under the round-off would let a box clipped to no area
            through).
    """

    clipped: np.ndarray
    overhang: np.ndarray
    moved: np.ndarray
    finite: np.ndarray
    ordered: np.ndarray
    big_enough: np.ndarray
    keep: np.ndarray


def clip_to_image(
    boxes: np.ndarray, image_size: tuple[float, float], min_size: float = 1.0
) -> ClippedBoxes:
    """The boxes clipped to the image and the reader's verdict on each (see the module's rules).

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` absolute pixels (any float dtype; may be invalid).
        image_size: ``(H, W)`` of the image.
        min_size: Smallest width and height (pixels) a clipped box may keep.
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    height, width = image_size
    finite = np.all(np.isfinite(boxes), axis=1)
    safe = np.where(finite[:, None], boxes, 0.0)
    ordered = (safe[:, 2] > safe[:, 0]) & (safe[:, 3] > safe[:, 1]) & finite
    clipped = safe.copy()
    clipped[:, 0::2] = safe[:, 0::2].clip(0.0, width)
    clipped[:, 1::2] = safe[:, 1::2].clip(0.0, height)
    least = min_size - SIZE_ROUND_OFF
    big_enough = ((clipped[:, 2] - clipped[:, 0]) >= least) & (
        (clipped[:, 3] - clipped[:, 1]) >= least
    )
    as_float32 = clipped.astype(np.float32)
    has_area = (as_float32[:, 2] > as_float32[:, 0]) & (as_float32[:, 3] > as_float32[:, 1])
    overhang = np.abs(clipped - safe).max(axis=1, initial=0.0)
    keep = ordered & big_enough & has_area
    return ClippedBoxes(clipped, overhang, overhang > 0, finite, ordered, big_enough, keep)


def sanitize_boxes(
    boxes: np.ndarray,
    image_size: tuple[float, float],
    source: str = "",
    min_size: float = 1.0,
    places: Sequence[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Clip boxes to the image and find those that must be dropped, logging each.

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` absolute pixels (any float dtype; may be invalid).
        image_size: ``(H, W)`` of the image the boxes belong to.
        source: Name of the file the boxes come from, used in the log messages.
        min_size: Smallest width and height (pixels) a clipped box may keep.
        places: ``N`` strings, where each box is written (``Annotations/a.xml object 2``,
            ``labels/a.txt:3``, ``instances_train.json annotation id 17``); a dropped box's
            warning starts with its place and names ``source`` as the image. ``None``: the
            warning starts with ``source``.

    Returns:
        ``(clipped, keep)``: ``Float32[N, 4]`` boxes clipped to the image (rows of dropped
        boxes are meaningless) and ``Bool[N]``, true for the boxes to keep (each with
        ``x1 < x2`` and ``y1 < y2``).
    """
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    height, width = image_size
    verdict = clip_to_image(boxes, image_size, min_size)
    for i in np.flatnonzero(~verdict.keep):
        if not verdict.finite[i]:
            reason = "has a non-finite coordinate"
        elif not verdict.ordered[i]:
            reason = "has non-positive width or height"
        elif _outside(boxes[i], width, height):
            reason = f"lies outside the {width}x{height} image"
        elif not verdict.big_enough[i]:
            reason = f"is under {min_size:g} px wide or high inside the {width}x{height} image"
        else:
            reason = f"has no area inside the {width}x{height} image"
        logger.warning(
            "%s: dropped box %s (xyxy px): it %s",
            _where(source, places, int(i)),
            boxes[i].tolist(),
            reason,
        )
    for i in np.flatnonzero(verdict.keep & verdict.moved):
        logger.debug(
            "%s: clipped box %s to %s", source, boxes[i].tolist(), verdict.clipped[i].tolist()
        )
    return verdict.clipped.astype(np.float32), verdict.keep


def _outside(box: np.ndarray, width: float, height: float) -> bool:
    """Whether ``box`` (``xyxy`` px, finite, ordered) lies wholly outside a ``width`` x
    ``height`` image: right of it, below it, or left of or above ``(0, 0)``."""
    x1, y1, x2, y2 = box.tolist()
    return x1 >= width or y1 >= height or x2 <= 0 or y2 <= 0


def _where(source: str, places: Sequence[str] | None, index: int) -> str:
    """What a warning about box ``index`` starts with: ``"<place> (image <source>)"`` when the
    reader gave the places, else ``source``."""
    if places is None or index >= len(places):
        return source
    return f"{places[index]} (image {source})" if source else places[index]


#: An instance mask with a smaller fraction of its pixels inside its box is dropped.
MIN_MASK_FRACTION_IN_BOX = 0.5


def check_masks(
    masks: np.ndarray,
    boxes: np.ndarray,
    keep: np.ndarray,
    source: str = "",
    places: Sequence[str] | None = None,
) -> np.ndarray:
    """Find the instances whose mask does not fit their box (see the module docstring).

    Args:
        masks: ``UInt8[N, H, W]`` (0/1) instance masks of the image.
        boxes: ``[N, 4]`` boxes clipped to the image, ``xyxy`` absolute pixels (as
            :func:`sanitize_boxes` returns them).
        keep: ``Bool[N]``: the instances still kept (their boxes are valid); the others are
            neither checked nor reported again.
        source: Name of the file the annotations come from, used in the log messages.
        places: Where each instance is written, as :func:`sanitize_boxes` takes them.

    Returns:
        ``Bool[N]``: ``keep`` without the instances whose mask is empty or lies mostly
        outside its box.
    """
    num = len(keep)
    if num == 0:
        return keep.copy()
    height, width = masks.shape[-2:]
    area = masks.reshape(num, -1).sum(axis=1, dtype=np.int64)
    # pixel columns x1 <= c + 0.5 < x2 (pixel centres) lie inside the box: [floor, ceil)
    lo = np.floor(np.nan_to_num(boxes[:, :2])).astype(np.int64).clip(0, [width, height])
    hi = np.ceil(np.nan_to_num(boxes[:, 2:])).astype(np.int64).clip(0, [width, height])
    inside = np.zeros(num, dtype=np.int64)
    for i in np.flatnonzero(keep & (area > 0)):
        inside[i] = int(masks[i, lo[i, 1] : hi[i, 1], lo[i, 0] : hi[i, 0]].sum(dtype=np.int64))
    fits = (area > 0) & (inside >= MIN_MASK_FRACTION_IN_BOX * area)
    for i in np.flatnonzero(keep & ~fits):
        if area[i] == 0:
            reason = "its mask is empty"
        else:
            reason = f"only {inside[i]} of its mask's {area[i]} pixels lie inside the box"
        logger.warning(
            "%s: dropped instance with box %s (xyxy px): %s",
            _where(source, places, int(i)),
            boxes[i].tolist(),
            reason,
        )
    return keep & fits


def remove_crowd(target: dict) -> dict:
    """Return a copy of ``target`` without its crowd instances (``iscrowd == 1``).

    Args:
        target: A detseg target dict; its :data:`PER_INSTANCE_KEYS` entries are filtered.

    Returns:
        A new dict; entries that are not per-instance are passed through unchanged.
    """
    iscrowd = target.get("iscrowd")
    if iscrowd is None:
        return dict(target)
    keep = torch.as_tensor(iscrowd) == 0
    return {
        key: value[keep] if key in PER_INSTANCE_KEYS else value for key, value in target.items()
    }
