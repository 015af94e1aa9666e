"""Caption tabs of drawn boxes: their size, their text shortened to fit, their place, their drawing.

Text (:func:`text_style`) and lines (:func:`line_thickness`) grow with the image; a caption
is shortened with ``"..."`` to fit the picture (:func:`fit_caption`, :func:`shorten_text`);
:func:`place_captions` keeps the tabs inside the image and apart from each other, and
:func:`draw_caption` draws one. The placement is the largest part of drawing detections and
is tested on its own, so it lives apart from :mod:`detseg.visualize.detections`.
"""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np

from detseg.text_drawing import put_text, text_size
from detseg.visualize.palette import text_color


def text_style(shape: Sequence[int]) -> tuple[float, int]:
    """``(font scale, stroke thickness)`` of ``cv2.FONT_HERSHEY_SIMPLEX`` captions on an image
    of ``shape`` ``(H, W, ...)``: text about 9 px tall up to 280 px, then growing with the
    shorter side (about 3.5 % of it), its strokes thickening with it."""
    scale = max(0.35, min(shape[:2]) / 800)
    return scale, max(1, round(scale * 1.5))


def line_thickness(shape: Sequence[int]) -> int:
    """Box and outline thickness in px on an image of ``shape``: 1 px up to 375 px, then
    growing with the shorter side (0.4 % of it)."""
    return max(1, round(min(shape[:2]) / 250))


def fit_caption(name: str, suffix: str, shape: Sequence[int]) -> str:
    """``name + suffix``, the name shortened with ``"..."`` where the caption tab would be
    wider than an image of ``shape`` ``(H, W, ...)``, so that the score (``suffix``) stays in
    the picture."""
    scale, stroke = text_style(shape)
    return shorten_text(name, suffix, scale, stroke, int(shape[1]) - 2 * stroke)


def shorten_text(name: str, suffix: str, scale: float, stroke: int, width: int) -> str:
    """``name + suffix``, the name cut to its longest prefix followed by ``"..."`` where the
    text drawn at ``scale``/``stroke`` would be wider than ``width`` pixels."""

    def text_width(text: str) -> int:
        return text_size(text, scale, stroke)[0][0]

    if text_width(name + suffix) <= width:
        return name + suffix
    low, high = 0, len(name)  # the longest prefix that fits, by bisection
    while low < high:
        middle = (low + high + 1) // 2
        if text_width(name[:middle] + "..." + suffix) <= width:
            low = middle
        else:
            high = middle - 1
    return name[:low] + "..." + suffix


def place_captions(
    shape: Sequence[int], boxes: np.ndarray, captions: Sequence[str]
) -> list[tuple[int, int, int, int]]:
    """Where the caption tab of each box goes: ``(x, y, width, height)`` in px, inside the image.

    Tabs are placed in the order given (put the most important first): each goes above its
    box's top-left corner (inside the box when there is no room above), moved left to end
    at the image's right border, and, when it would cover a tab placed before it, to the first
    free one of: inside the box's top, below a placed tab, above one (nearest first, within
    three tab heights of the box's top), below the box. When no spot is free it keeps its
    first place.

    Args:
        shape: the image's ``(H, W, ...)``.
        boxes: ``[N, 4]`` xyxy px.
        captions: the ``N`` texts.
    """
    height, width = int(shape[0]), int(shape[1])
    scale, stroke = text_style(shape)
    placed: list[tuple[int, int, int, int]] = []
    # the placed tabs as columns (x, y, width, height): each check is one numpy comparison,
    # so that thousands of boxes (a crowded ground truth) take seconds, not minutes
    table = np.zeros((len(captions), 4), dtype=np.int64)
    for box, caption in zip(np.asarray(boxes).reshape(-1, 4), captions, strict=True):
        (text_w, text_h), baseline = text_size(caption, scale, stroke)
        tab_w, tab_h = text_w + 2 * stroke, text_h + baseline + stroke
        x1, y1, _, y2 = (int(round(v)) for v in box)
        x = max(0, min(x1, width - tab_w))
        first = y1 - tab_h if y1 - tab_h >= 0 else y1
        others = table[: len(placed)]
        tops = np.concatenate(
            [
                [first, y1],
                _nearest(others[:, 1] + others[:, 3], first, y1, 3 * tab_h),  # below a tab
                _nearest(others[:, 1] - tab_h, first, y1, 3 * tab_h),  # above one
                [y2],
            ]
        )
        candidates = np.maximum(np.minimum(tops, height - tab_h), 0)  # inside, top first
        # only tabs sharing a column with this one can cover it
        column = others[(x < others[:, 0] + others[:, 2]) & (others[:, 0] < x + tab_w)]
        free = np.flatnonzero(~_covered(candidates, tab_h, column[:, 1], column[:, 3]))
        y = int(candidates[free[0]]) if len(free) else max(0, min(first, height - tab_h))
        placed.append((x, y, tab_w, tab_h))
        table[len(placed) - 1] = placed[-1]
    return placed


def _nearest(tops: np.ndarray, first: int, top: int, reach: int) -> np.ndarray:
    """``Int[M']``: the values of ``tops`` (``Int[M]``, in placing order) within ``reach`` px of
    ``top``, nearest to ``first`` first (ties in placing order)."""
    tops = tops[np.abs(tops - top) <= reach]
    return tops[np.argsort(np.abs(tops - first), kind="stable")]


def _covered(ys: np.ndarray, height: int, tops: np.ndarray, heights: np.ndarray) -> np.ndarray:
    """``Bool[C]``: whether the rows ``[y, y + height)`` of each of ``ys`` (``Int[C]``) meet one
    of the row ranges ``[tops[i], tops[i] + heights[i])`` (``Int[M]``)."""
    if not len(tops):
        return np.zeros(len(ys), dtype=bool)
    order = np.argsort(tops, kind="stable")
    starts, reach = tops[order], np.maximum.accumulate((tops + heights)[order])
    # the ranges starting above y + height; they meet [y, y + height) when one reaches below y
    count = np.searchsorted(starts, ys + height, side="left")
    return (count > 0) & (reach[np.maximum(count - 1, 0)] > ys)


def draw_caption(
    canvas: np.ndarray, caption: str, rect: tuple[int, int, int, int], color: tuple[int, int, int]
) -> None:
    """A filled tab in ``color`` at ``rect`` (from :func:`place_captions`) with ``caption``."""
    x, y, tab_w, tab_h = rect
    scale, stroke = text_style(canvas.shape)
    (_, text_h), _ = text_size(caption, scale, stroke)
    cv2.rectangle(canvas, (x, y), (x + tab_w - 1, y + tab_h - 1), color, cv2.FILLED)
    origin = (x + stroke, y + text_h + stroke // 2)
    put_text(canvas, caption, origin, scale, text_color(color), stroke)
