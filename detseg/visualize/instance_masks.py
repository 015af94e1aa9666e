"""Instance masks of drawn detections: checked against their boxes, blended in and outlined.

:func:`binary_masks` turns boolean masks or mask probabilities into ``Bool[N, H, W]``;
:func:`draw_masks` blends each in its class colour and outlines it. Apart from
:mod:`detseg.visualize.detections` because boxes need none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import cv2
import numpy as np

from detseg.visualize.drawing_inputs import as_numpy, check_opacity

if TYPE_CHECKING:  # only the annotations name torch: numpy inputs draw without it
    import torch


def binary_masks(
    masks: torch.Tensor | np.ndarray, num: int, size: tuple[int, ...], threshold: float = 0.5
) -> np.ndarray:
    """``masks`` as ``Bool[N, H, W]`` (C order), checked against ``N`` boxes and ``size``; a
    float mask (probabilities) is the object above ``threshold``, others where non-zero (a
    cast to bool would make every pixel of a soft mask with a small probability the object)."""
    array = np.asarray(as_numpy(masks))
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3 or array.shape[0] != num or array.shape[1:] != tuple(size):
        raise ValueError(
            f"masks must be [N, H, W] = [{num}, {size[0]}, {size[1]}] (one per box, the "
            f"image's size), got {tuple(array.shape)}"
        )
    if np.issubdtype(array.dtype, np.floating):
        return np.ascontiguousarray(array > threshold)
    return np.ascontiguousarray(array.astype(bool, copy=False))


def draw_masks(
    canvas: np.ndarray,
    masks: np.ndarray,
    order: np.ndarray,
    colors: Sequence[tuple[int, int, int]],
    alpha: float,
    thickness: int,
) -> None:
    """Blend ``masks[i]`` (``Bool[N, H, W]``) in ``colors[i]`` for ``i`` in ``order`` (later on
    top), then outline each; ``canvas`` (``uint8 [H, W, 3]``) is drawn on in place."""
    check_opacity(alpha, "mask_alpha")
    layer = np.zeros_like(canvas)
    covered = np.zeros(canvas.shape[:2], dtype=bool)
    outlines = []
    for i in order:
        mask = masks[i].view(np.uint8)
        x, y, w, h = cv2.boundingRect(mask)  # the mask's extent: work on that crop only
        if w == 0 or h == 0:
            continue
        crop = masks[i, y : y + h, x : x + w]
        layer[y : y + h, x : x + w][crop] = colors[i]
        covered[y : y + h, x : x + w] |= crop
        contours, _ = cv2.findContours(
            np.ascontiguousarray(mask[y : y + h, x : x + w]),
            cv2.RETR_EXTERNAL,
            cv2.CHAIN_APPROX_NONE,
            offset=(x, y),
        )
        outlines.append((contours, colors[i]))
    blended = (1 - alpha) * canvas[covered] + alpha * layer[covered].astype(np.float64)
    canvas[covered] = np.clip(blended.round(), 0, 255).astype(np.uint8)
    for contours, color in outlines:
        cv2.drawContours(canvas, contours, -1, color, thickness)
