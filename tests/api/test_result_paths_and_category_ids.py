"""Result arguments checked with one line: a ``save`` / ``save_mask`` path that is no file
name (``None``, a number, bytes) is a ``TypeError`` naming ``path`` (it was pathlib's
"expected str, bytes or os.PathLike"), ``to_coco``'s ``category_ids`` are whole numbers (``1.5``
was cut to category 1, a string or a number failed inside ``int()`` / ``len()``), a dict
or a set is no index of the detections, a boolean mask of another shape is an ``IndexError``
saying so (torch's "The shape of the mask [2] at index 0 does not match ..." before), and
``plot(legend=<array>)`` is the legend's own message (numpy's "truth value ... ambiguous")."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult, SegmentationResult


def _detections() -> DetectionResult:
    boxes = torch.tensor([[1.0, 1.0, 5.0, 5.0], [2.0, 2.0, 6.0, 6.0]])
    image = np.zeros((8, 8, 3), np.uint8)
    return DetectionResult(boxes, torch.tensor([0.9, 0.5]), torch.tensor([1, 2]), ["a", "b"], image)


def _label_map() -> SegmentationResult:
    mask = torch.zeros(8, 8, dtype=torch.int64)
    mask[2:5, 2:5] = 1
    mask[6:, 6:] = 2
    image = np.zeros((8, 8, 3), np.uint8)
    return SegmentationResult(mask, torch.zeros(3, 8, 8), ["a", "b"], image)


@pytest.mark.parametrize("path", [None, 3, b"out.png"])
def test_save_refuses_a_path_that_is_no_file_name(path):
    message = rf"path must be a file name \(a str or pathlib.Path\), got {type(path).__name__}"
    for save in (_detections().save, _label_map().save, _label_map().save_mask):
        with pytest.raises(TypeError, match=message):
            save(path)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([1.5, 2.5], r"category_ids\[0\] is 1.5; category ids are whole numbers"),
        ([None, None], r"category_ids\[0\] is None"),
        ([7, True], r"category_ids\[1\] is True"),
        ("ab", r"category_ids must be a list of whole numbers.*got 'ab'"),
        (5, r"category_ids must be a list of whole numbers.*got 5"),
        ({1: 3, 2: 4}, r"category_ids must be a list of whole numbers"),
    ],
)
def test_to_coco_refuses_category_ids_that_are_no_list_of_whole_numbers(ids, message):
    for result in (_detections(), _label_map()):
        with pytest.raises(ValueError, match=message):
            result.to_coco(1, category_ids=ids)


@pytest.mark.parametrize(
    "ids", [[10, 20], (10, 20), np.array([10, 20]), torch.tensor([10, 20]), [10.0, 20.0]]
)
def test_to_coco_takes_lists_arrays_and_tensors_of_whole_ids(ids):
    for result in (_detections(), _label_map()):
        records = result.to_coco(1, category_ids=ids)
        assert [r["category_id"] for r in records] == [10, 20]
        assert all(type(r["category_id"]) is int for r in records)


@pytest.mark.parametrize("index", [{}, {0: 1}, {0}])
def test_a_dict_or_set_is_no_index_of_the_detections(index):
    with pytest.raises(TypeError, match="cannot index the detections with"):
        _detections()[index]


@pytest.mark.parametrize(
    "mask", [[True], torch.tensor([True, False, True]), torch.ones(2, 1, dtype=torch.bool)]
)
def test_a_boolean_mask_of_another_shape_says_one_value_per_detection(mask):
    shape = tuple(torch.as_tensor(mask).shape)
    with pytest.raises(IndexError, match=rf"a boolean mask of shape {re.escape(str(shape))} "):
        _detections()[mask]
    assert len(_detections()[torch.tensor([True, False])]) == 1


def test_a_legend_array_gets_the_legend_message():
    with pytest.raises(ValueError, match=r"legend must be True, False or 'all', got array"):
        _label_map().plot(legend=np.array([1, 2]))


@pytest.mark.parametrize(
    "image", [np.zeros((8, 8, 3), np.uint8), torch.zeros(3, 8, 8)], ids=["array", "tensor"]
)
def test_save_given_an_image_instead_of_a_path_is_one_line(image):
    for save in (_detections().save, _label_map().save, _label_map().save_mask):
        with pytest.raises(TypeError) as caught:
            save(image)
        message = str(caught.value)
        assert "\n" not in message, message
        assert f"got {type(image).__name__} of shape {tuple(image.shape)}; give e.g." in message
