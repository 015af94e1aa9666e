"""The colours of the drawings: one per class, and black or white text that reads on each.

Every drawing (detections, instance masks, segmentation legends, PR curves, the evaluation
report) takes a class's colour from :func:`class_colors`, so that a class looks the same
everywhere; the colour choice is its own topic, apart from what is drawn with it.
"""

from __future__ import annotations

import colorsys
import functools
from collections.abc import Sequence

import numpy as np

#: How many distinct colours :func:`class_colors` has (then they repeat).
PALETTE_SIZE = 577


def class_colors(num_classes: int) -> list[tuple[int, int, int]]:
    """One distinct, saturated RGB colour per class, stable across runs.

    The colours come from :func:`_palette`: each next colour is the one farthest (RGB
    distance) from all colours before it, so any two of the first 150 classes (ADE20K) differ
    by more than 30 and of the first 256 by more than 25; the list for ``K`` classes is the
    start of the list for more classes. No colour is grey or near white (the report's
    ground-truth colour). Beyond :data:`PALETTE_SIZE` classes the colours repeat.

    Args:
        num_classes: number of foreground classes K (labels ``1..K``).

    Returns:
        ``colors[k - 1]`` is the ``(r, g, b)`` colour of label ``k``.
    """
    palette = _palette()
    return [palette[k % len(palette)] for k in range(num_classes)]


@functools.cache
def _palette() -> tuple[tuple[int, int, int], ...]:
    """All :data:`PALETTE_SIZE` class colours, in order: farthest-point selection over an
    HSV grid (48 hues x saturations x values), starting from red ``(242, 36, 36)``."""
    grid = [(242, 36, 36)]
    for saturation in (1.0, 0.8, 0.6, 0.45):
        for value in (1.0, 0.8, 0.6):
            for hue in range(48):
                rgb = colorsys.hsv_to_rgb(hue / 48, saturation, value)
                grid.append((round(rgb[0] * 255), round(rgb[1] * 255), round(rgb[2] * 255)))
    candidates = np.array(grid, dtype=np.float64)
    candidates = candidates[np.abs(candidates - 255).max(axis=1) > 100]  # not near white
    order = [0]
    nearest = np.linalg.norm(candidates - candidates[0], axis=1)
    for _ in range(len(candidates) - 1):
        pick = int(nearest.argmax())
        order.append(pick)
        nearest = np.minimum(nearest, np.linalg.norm(candidates - candidates[pick], axis=1))
    return tuple((int(r), int(g), int(b)) for r, g, b in candidates[order])


def text_color(background: Sequence[int]) -> tuple[int, int, int]:
    """Black or white, whichever contrasts more with the RGB ``background`` (WCAG relative
    luminance: black on colours brighter than about 18 % luminance)."""
    channels = np.asarray(background, dtype=np.float64) / 255.0
    linear = np.where(channels <= 0.04045, channels / 12.92, ((channels + 0.055) / 1.055) ** 2.4)
    luminance = float(linear @ np.array([0.2126, 0.7152, 0.0722]))
    return (0, 0, 0) if luminance > 0.179 else (255, 255, 255)
