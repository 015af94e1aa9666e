"""The drawing functions refuse a wrong argument in one line naming it: boxes that are not
``[N, 4]`` (``[1, 5]`` or ``None`` were numpy's "cannot reshape", ``[2, 2]`` was drawn as one
box), labels that are no whole numbers (``1.5`` was drawn as class 1), class names that are no
list of strings (``None`` was "has no len()"), thresholds that are no number in ``[0, 1]`` (a
string was numpy's ufunc error, ``2`` drew nothing), a non-integer ``ignore_index`` (ignored
silently); ``save_rgb`` of an image without pixels (an OpenCV assertion) and ``tensor_to_rgb``
of something that is no tensor (an ``AttributeError``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.visualize import draw_detections, draw_segmentation, save_rgb, tensor_to_rgb

IMAGE = np.zeros((32, 32, 3), np.uint8)
BOXES = np.array([[2.0, 2.0, 20.0, 20.0]])


@pytest.mark.parametrize(
    ("boxes", "shown"),
    [
        (np.zeros((1, 5)), r"shape \(1, 5\)"),
        (np.ones((2, 2)), r"shape \(2, 2\)"),
        ("box", "no numbers"),
    ],
)
def test_boxes_that_are_not_n_by_4_are_refused(boxes, shown):
    with pytest.raises(ValueError, match=rf"boxes must be \[N, 4\] xyxy pixels, got {shown}"):
        draw_detections(IMAGE, boxes, [1], [0.9], ["a"])


@pytest.mark.parametrize("boxes", [np.zeros((0, 4)), np.zeros(0), [2.0, 2.0, 20.0, 20.0]])
def test_no_box_and_one_box_are_taken(boxes):
    labels = [1] if len(boxes) else []
    scores = [0.9] if len(boxes) else []
    assert draw_detections(IMAGE, boxes, labels, scores, ["a"]).shape == IMAGE.shape


@pytest.mark.parametrize("labels", [[1.5], [np.nan], ["a"]])
def test_labels_that_are_no_whole_numbers_are_refused(labels):
    with pytest.raises(ValueError, match=r"draw_detections: labels must be .*whole numbers 1..K"):
        draw_detections(IMAGE, BOXES, np.array(labels), [0.9], ["a"])


def test_whole_float_labels_are_drawn_as_their_class():
    as_float = draw_detections(IMAGE, BOXES, np.array([2.0]), [0.9], ["a", "b"])
    as_int = draw_detections(IMAGE, BOXES, np.array([2]), [0.9], ["a", "b"])
    assert np.array_equal(as_float, as_int)


@pytest.mark.parametrize(("names", "message"), [(None, "got None"), ([1], "got 1 \\(int\\)")])
def test_class_names_that_are_no_list_of_strings_are_refused(names, message):
    with pytest.raises(ValueError, match=rf"draw_detections: class_names must .*{message}"):
        draw_detections(IMAGE, BOXES, [1], [0.9], names)
    label_map = np.zeros((32, 32), np.int64)
    with pytest.raises(ValueError, match=rf"draw_segmentation: class_names must .*{message}"):
        draw_segmentation(IMAGE, label_map, names)


@pytest.mark.parametrize("name", ["score_threshold", "mask_threshold"])
@pytest.mark.parametrize("value", ["0.5", 2, -0.1, float("nan"), None, True])
def test_thresholds_that_are_no_number_in_0_1_are_refused(name, value):
    masks = np.zeros((1, 32, 32), np.float32)
    with pytest.raises(ValueError, match=rf"{name} must be a number in \[0, 1\], got"):
        draw_detections(IMAGE, BOXES, [1], [0.9], ["a"], masks=masks, **{name: value})


@pytest.mark.parametrize("value", ["255", None, 1.5])
def test_an_ignore_index_that_is_no_integer_is_refused(value):
    label_map = np.zeros((32, 32), np.int64)
    with pytest.raises(ValueError, match=r"ignore_index must be an integer"):
        draw_segmentation(IMAGE, label_map, ["a"], ignore_index=value)


def test_save_rgb_refuses_an_image_without_pixels(tmp_path):
    with pytest.raises(ValueError, match=r"a.png: it has no pixels \(shape \(0, 0, 3\)\)"):
        save_rgb(tmp_path / "a.png", np.zeros((0, 0, 3), np.uint8))
    assert not (tmp_path / "a.png").exists()


@pytest.mark.parametrize("image", [None, IMAGE])
def test_tensor_to_rgb_refuses_what_is_no_tensor(image):
    with pytest.raises(ValueError, match=r"expected an image tensor \[3, H, W\], got"):
        tensor_to_rgb(image)
    assert tensor_to_rgb(torch.zeros(3, 2, 2)).shape == (2, 2, 3)
