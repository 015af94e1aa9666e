"""Box captions of detseg.visualize.draw_detections: inside the image, apart from each other
when boxes nearly coincide, sized with the image, in a colour that contrasts with their tab."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import (
    class_colors,
    draw_detections,
    line_thickness,
    place_captions,
    text_color,
    text_style,
)


def _inside(rect: tuple[int, int, int, int], height: int, width: int) -> bool:
    x, y, w, h = rect
    return x >= 0 and y >= 0 and x + w <= width and y + h <= height


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


@pytest.mark.parametrize(
    "box",
    [
        [100.0, 40.0, 127.0, 70.0],  # at the right border: the caption is wider than the box
        [-20.0, 50.0, 30.0, 90.0],  # reaching out on the left
        [10.0, 0.0, 60.0, 30.0],  # at the top: no room above
        [10.0, 120.0, 60.0, 140.0],  # reaching out at the bottom
    ],
)
def test_a_caption_at_the_border_stays_inside_the_image(box: list[float]) -> None:
    (rect,) = place_captions((128, 128, 3), np.array([box]), ["triangle 0.87"])
    assert _inside(rect, 128, 128)


def test_a_caption_at_the_right_border_is_drawn_in_full() -> None:
    image = np.zeros((128, 128, 3), np.uint8)
    box = np.array([[110.0, 50.0, 127.0, 70.0]])
    out = draw_detections(image, box, np.array([1]), np.array([0.87]), ["triangle"])
    (x, y, w, h) = place_captions(image.shape, box, ["triangle 0.87"])[0]
    color = np.array(class_colors(1)[0], np.uint8)
    tab_row = out[y + 1]  # the tab's top row: its colour from x to the image's right border
    assert x + w == 128 and w > 40
    assert (tab_row[x : x + w] == color).all(axis=1).mean() > 0.9


def test_captions_of_nearly_coinciding_boxes_do_not_overlap() -> None:
    boxes = np.array(
        [[30.0, 40.0, 90.0, 100.0], [31.0, 41.0, 91.0, 99.0], [29.0, 39.0, 89.0, 101.0]]
    )
    rects = place_captions((256, 256, 3), boxes, ["circle 0.91", "square 0.52", "star 0.40"])
    assert not any(_overlap(a, b) for i, a in enumerate(rects) for b in rects[i + 1 :])
    assert rects[0][1] + rects[0][3] <= 40  # the first (best) keeps the spot above its box
    for rect, box in zip(rects, boxes, strict=True):  # each stays by its box
        assert box[1] - 4 * rect[3] <= rect[1] <= box[3]


def test_the_best_scoring_caption_is_above_its_box_when_drawn() -> None:
    image = np.zeros((200, 200, 3), np.uint8)
    boxes = np.array([[50.0, 80.0, 150.0, 150.0], [52.0, 81.0, 151.0, 149.0]])
    out = draw_detections(image, boxes, np.array([1, 2]), np.array([0.3, 0.9]), ["a", "b"])
    best, other = place_captions(image.shape, boxes[::-1], ["b 0.90", "a 0.30"])
    assert best[1] + best[3] <= 81 and not _overlap(best, other)  # above its box
    for (x, y, w, _), color in zip((best, other), class_colors(2)[::-1], strict=True):
        tab_row = out[y + 1, x : x + w]  # each caption tab drawn where it was placed
        assert (tab_row == np.array(color, np.uint8)).all(axis=1).mean() > 0.6


def test_text_and_lines_grow_with_the_image() -> None:
    small = place_captions((128, 128, 3), np.array([[10.0, 40, 60, 80]]), ["circle"])[0]
    large = place_captions((1024, 1024, 3), np.array([[80.0, 320, 480, 640]]), ["circle"])[0]
    assert 9 <= small[3] <= 14  # readable on a 128 px image, not covering it
    assert large[3] >= 2.5 * small[3]  # about 3.5 % of a large image's side
    assert text_style((1024, 1024, 3))[1] >= 2  # no hairline strokes on a large image
    assert line_thickness((128, 128, 3)) == 1 and line_thickness((1024, 1024, 3)) >= 4


def test_caption_text_contrasts_with_its_tab() -> None:
    assert text_color((45, 242, 36)) == (0, 0, 0)  # bright green: black text
    assert text_color((255, 255, 0)) == (0, 0, 0)
    assert text_color((36, 96, 242)) == (255, 255, 255)  # blue: white text
    assert text_color((87, 36, 242)) == (255, 255, 255)
