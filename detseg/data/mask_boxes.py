"""Instance boxes fitted to their masks after augmentation, and boxes painted into a mask.

A transform that cuts part of an object away (a crop, a translation) moves its box by the
corners only; :func:`fit_boxes_to_masks` moves each box side that lies outside what is left of
the object's mask onto the mask (as Detectron2's ``recompute_boxes`` does), and says which
instances still have a mask. :func:`box_mask` paints boxes into one mask, for a transform that
places its crop on a mask where a sample has no instance masks.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MASK_BOX_TOLERANCE", "box_mask", "fit_boxes_to_masks", "mask_extents"]


def box_mask(boxes: np.ndarray, image_size: tuple[int, int]) -> np.ndarray:
    """``UInt8[H, W]`` mask with the pixels of every box set to 1.

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` px (``N = 0`` gives an empty mask).
        image_size: ``(H, W)`` of the image.

    Returns:
        The union of the boxes' pixels ``floor(x1) <= column < ceil(x2)`` (rows alike),
        clipped to the image.
    """
    height, width = image_size
    mask = np.zeros((height, width), dtype=np.uint8)
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    low = np.floor(boxes[:, :2]).astype(np.int64).clip(0, [width, height])
    high = np.ceil(boxes[:, 2:]).astype(np.int64).clip(0, [width, height])
    for (x1, y1), (x2, y2) in zip(low, high, strict=True):
        mask[y1:y2, x1:x2] = 1
    return mask


#: Largest distance (px) by which a box side may lie outside its mask's extent after the
#: augmentations before :func:`fit_boxes_to_masks` moves it onto the mask (polygon
#: rasterisation and resampling differ from the box by up to about a pixel).
MASK_BOX_TOLERANCE = 1.0


def mask_extents(masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Pixel extent of each instance mask.

    Args:
        masks: ``UInt8[N, H, W]`` (0/1) instance masks.

    Returns:
        ``(extents Float32[N, 4], nonempty Bool[N])``: ``xyxy`` px pixel-edge extent
        ``(first column, first row, last column + 1, last row + 1)`` of each mask (zeros for an
        empty one), and whether the mask has any pixel.
    """
    extents = np.zeros((len(masks), 4), dtype=np.float32)
    cols: np.ndarray = np.any(masks, axis=1)  # [N, W]
    rows: np.ndarray = np.any(masks, axis=2)  # [N, H]
    nonempty: np.ndarray = np.any(cols, axis=1)
    for i in np.flatnonzero(nonempty):
        xs, ys = np.flatnonzero(cols[i]), np.flatnonzero(rows[i])
        extents[i] = (xs[0], ys[0], xs[-1] + 1, ys[-1] + 1)
    return extents, nonempty


def fit_boxes_to_masks(
    boxes: np.ndarray, masks: np.ndarray, tolerance: float = MASK_BOX_TOLERANCE
) -> tuple[np.ndarray, np.ndarray]:
    """Fit augmented boxes to their augmented masks.

    A crop or translation that cuts part of an object away moves the box by its corners and
    clips it to the image, so the box can keep a region the object's mask no longer reaches
    (the far end of a diagonal object), or no mask pixel at all. Each box side that lies more
    than ``tolerance`` px outside the mask's pixel extent is moved onto that extent; sides
    within the tolerance are kept (a box from the annotation, not from the mask, differs from
    the rasterised mask by up to about a pixel). Boxes never grow.

    Args:
        boxes: ``Float32[N, 4]`` boxes, ``xyxy`` px.
        masks: ``UInt8[N, H, W]`` (0/1) instance masks aligned with ``boxes``.
        tolerance: See above, in pixels.

    Returns:
        ``(boxes Float32[N, 4] xyxy px, keep Bool[N])``: the fitted boxes and, per instance,
        whether its mask still has a pixel and its fitted box is non-empty (``x1 < x2`` and
        ``y1 < y2``).
    """
    boxes = np.array(boxes, dtype=np.float32).reshape(-1, 4)
    extents, nonempty = mask_extents(masks)
    fitted = boxes.copy()
    lower = boxes[:, :2] < extents[:, :2] - tolerance  # x1, y1 too far left / up
    upper = boxes[:, 2:] > extents[:, 2:] + tolerance  # x2, y2 too far right / down
    fitted[:, :2] = np.where(lower, extents[:, :2], boxes[:, :2])
    fitted[:, 2:] = np.where(upper, extents[:, 2:], boxes[:, 2:])
    keep = nonempty & (fitted[:, 2] > fitted[:, 0]) & (fitted[:, 3] > fitted[:, 1])
    return fitted, keep
