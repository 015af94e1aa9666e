"""What training's box checks would do with each raw box of an image: keep, clip or drop it.

:func:`classify_boxes` applies the rules of :func:`detseg.data.target_checks.sanitize_boxes`
(its :func:`~detseg.data.target_checks.clip_to_image`, without the logging) to the raw boxes a
scan reads, so that the dataset check can count the boxes outside the image and the degenerate
ones before training meets them. Separate from the
scan (:mod:`~detseg.dataset_check.scan`): it is pure array arithmetic on one image's boxes,
tested against ``sanitize_boxes`` on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from detseg.data.target_checks import clip_to_image

__all__ = ["OUTSIDE_TOLERANCE", "BoxFlags", "classify_boxes"]

#: How far (px) a box may reach beyond the image before it counts as outside: rounding of
#: normalized coordinates leaves boxes a fraction of a pixel out, which clipping fixes.
OUTSIDE_TOLERANCE = 0.5


@dataclass
class BoxFlags:
    """What the training box checks would do with each box of an image.

    Attributes:
        degenerate: ``Bool[N]``: a non-finite coordinate, ``x2 <= x1`` or ``y2 <= y1``, or
            under ``min_size`` px wide or high (or of no area) inside the image; training
            drops it.
        outside: ``Bool[N]``: a finite box of positive size that reaches more than the
            tolerance outside ``[0, W] x [0, H]``; training clips it to the image.
        dropped: ``Bool[N]``: every box training drops (the degenerate ones and the outside
            ones with less than ``min_size`` px, or no area, left inside the image).
        clipped: ``Float64[N, 4]`` the boxes clipped to the image, as training clips the ones it
            keeps (a box with a non-finite coordinate is all zeros).
    """

    degenerate: np.ndarray
    outside: np.ndarray
    dropped: np.ndarray
    clipped: np.ndarray


def classify_boxes(
    boxes: np.ndarray,
    image_size: tuple[int, int],
    min_size: float = 1.0,
    tolerance: float = OUTSIDE_TOLERANCE,
) -> BoxFlags:
    """Flag degenerate and outside boxes by the rules of ``sanitize_boxes`` (without logging).

    Args:
        boxes: ``[N, 4]`` boxes, ``xyxy`` absolute pixels (may be invalid).
        image_size: ``(H, W)`` of the image.
        min_size: Smallest width and height (px) a clipped box may keep.
        tolerance: How far (px) a box may reach beyond the image without being flagged as
            outside (normalized YOLO coordinates and annotation tools round a little).

    Returns:
        The flags; ``dropped`` equals ``~keep`` of ``sanitize_boxes`` with the same arguments.
    """
    verdict = clip_to_image(boxes, image_size, min_size)
    outside = verdict.ordered & (verdict.overhang > tolerance)
    dropped = ~verdict.keep
    degenerate = ~verdict.ordered | (dropped & ~outside)
    return BoxFlags(
        degenerate=degenerate, outside=outside, dropped=dropped, clipped=verdict.clipped
    )
