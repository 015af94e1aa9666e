"""Drawing detections whose boxes, captions or scores are unusual: far outside the image,
non-finite, or with a class name wider than the picture."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import NO_DETECTIONS_COLOR, class_colors, draw_detections, fit_caption


@pytest.mark.parametrize(
    "box",
    [
        [1e12, 1e12, 2e12, 2e12],
        [np.nan, 0.0, 10.0, 10.0],
        [0.0, 0.0, np.inf, 10.0],
    ],
)
def test_non_finite_or_huge_boxes_are_left_out(box: list[float]) -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    boxes = np.array([box, [20.0, 30.0, 60.0, 80.0]])
    out = draw_detections(image, boxes, np.array([1, 2]), np.array([0.9, 0.8]), ["a", "b"])
    assert tuple(out[55, 60]) == class_colors(2)[1]  # the other box is drawn


def test_a_box_spanning_far_past_the_image_draws_its_visible_edges() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    boxes = np.array([[-1e12, 40.0, 1e12, 80.0]])
    out = draw_detections(image, boxes, np.array([1]), np.array([0.9]), ["a"])
    color = class_colors(1)[0]
    assert tuple(out[80, 100]) == color  # bottom edge
    assert (out[41:79, 119] == 0).all()  # no side edge at the border


def test_a_box_entirely_outside_the_image_gets_no_caption() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    boxes = np.array([[-500.0, -500.0, -400.0, -400.0]])
    out = draw_detections(image, boxes, np.array([1]), np.array([0.9]), ["a"])
    color = np.array(class_colors(1)[0])
    assert not (out == color).all(axis=2).any()  # no tab of the class colour
    assert (out == np.array(NO_DETECTIONS_COLOR)).all(axis=2).any()


def test_a_long_class_name_is_shortened_and_the_score_stays_visible() -> None:
    shape = (200, 300, 3)
    caption = fit_caption("x" * 80, " 0.70", shape)
    assert caption.endswith("... 0.70")
    assert caption.startswith("xxx")
    assert fit_caption("cat", " 0.70", shape) == "cat 0.70"
    image = np.zeros(shape, np.uint8)
    boxes = np.array([[150.0, 100.0, 290.0, 190.0]])
    out = draw_detections(image, boxes, np.array([1]), np.array([0.7]), ["x" * 80])
    color = np.array(class_colors(1)[0])
    tab_rows = np.nonzero((out == color).all(axis=2).sum(axis=1) > 250)[0]
    assert len(tab_rows)  # the tab spans the width, and it ends inside the image:
    assert (out[tab_rows[0] + 1, -1] == color).all() or (out[tab_rows[0] + 1, -2] == color).all()


def test_scores_given_as_a_column_are_read_as_one_per_box() -> None:
    image = np.zeros((100, 120, 3), np.uint8)
    boxes = np.array([[20.0, 30.0, 60.0, 80.0]])
    out = draw_detections(image, boxes, np.array([1]), np.array([[0.9]]), ["a"])
    assert tuple(out[55, 60]) == class_colors(1)[0]


def test_boxes_labels_and_scores_of_different_lengths_are_refused():
    image = np.zeros((32, 32, 3), dtype=np.uint8)
    boxes = np.array([[1.0, 1.0, 10.0, 10.0], [5.0, 5.0, 20.0, 20.0]])
    with pytest.raises(ValueError, match=r"one label and score per box expected, got \{'boxes'"):
        draw_detections(image, boxes, np.array([1]), np.array([0.9, 0.8]), ["a"])
    with pytest.raises(ValueError, match="'scores': 1"):
        draw_detections(image, boxes, np.array([1, 1]), np.array([0.9]), ["a"])
