"""Caption placement of detseg.visualize.place_captions on crowded pictures (hundreds of boxes,
a dense ground truth): the placing rule of its docstring, tab by tab."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.visualize import draw_detections, place_captions, text_style


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _reference(shape, boxes, captions) -> list[tuple[int, int, int, int]]:
    """The docstring's rule, checked against every placed tab one by one."""
    height, width = shape[:2]
    scale, stroke = text_style(shape)
    placed: list[tuple[int, int, int, int]] = []
    for box, caption in zip(boxes, captions, strict=True):
        (text_w, text_h), baseline = cv2.getTextSize(
            caption, cv2.FONT_HERSHEY_SIMPLEX, scale, stroke
        )
        tab_w, tab_h = text_w + 2 * stroke, text_h + baseline + stroke
        x1, y1, _, y2 = (int(round(v)) for v in box)
        x = max(0, min(x1, width - tab_w))
        first = y1 - tab_h if y1 - tab_h >= 0 else y1
        below = sorted((r[1] + r[3] for r in placed), key=lambda y: abs(y - first))
        above = sorted((r[1] - tab_h for r in placed), key=lambda y: abs(y - first))
        near = [y for y in below + above if abs(y - y1) <= 3 * tab_h]
        chosen = None
        for y in [first, y1, *near, y2]:
            rect = (x, max(0, min(y, height - tab_h)), tab_w, tab_h)
            if not any(_overlap(rect, other) for other in placed):
                chosen = rect
                break
        placed.append(chosen or (x, max(0, min(first, height - tab_h)), tab_w, tab_h))
    return placed


def _crowd(seed: int, count: int, size: int) -> tuple[np.ndarray, list[str]]:
    rng = np.random.default_rng(seed)
    corners = rng.uniform(-10, size, (count, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(0, size / 4, (count, 2))], axis=1)
    if seed % 2:
        boxes = np.round(boxes / 16) * 16  # many boxes sharing a top edge
    captions = [f"c{rng.integers(0, 10 ** int(rng.integers(1, 6)))} 0.{seed}" for _ in boxes]
    return boxes, captions


@pytest.mark.parametrize("seed", range(6))
def test_crowded_captions_follow_the_placing_rule(seed: int) -> None:
    shape = (int(90 + 40 * seed), int(300 - 30 * seed), 3)
    boxes, captions = _crowd(seed, 150, min(shape[:2]))
    assert place_captions(shape, boxes, captions) == _reference(shape, boxes, captions)


def test_five_hundred_boxes_are_drawn() -> None:
    rng = np.random.default_rng(0)
    corners = rng.uniform(0, 300, (500, 2))
    boxes = np.concatenate([corners, corners + rng.uniform(1, 30, (500, 2))], axis=1)
    image = np.zeros((320, 320, 3), dtype=np.uint8)
    drawn = draw_detections(image, boxes, rng.integers(1, 4, 500), rng.random(500), "abc")
    assert drawn.shape == image.shape and drawn.any()
