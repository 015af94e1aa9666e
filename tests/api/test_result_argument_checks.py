"""Arguments of the result methods that are checked with one clear line: ``to_coco``'s
``image_id`` (a whole number), ``plot``'s ``alpha`` (a number in ``[0, 1]``) and the index of
``DetectionResult[...]`` (ints or a boolean mask; no field names, no floats)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult, SegmentationResult


def _detections() -> DetectionResult:
    boxes = torch.tensor([[1.0, 1.0, 5.0, 5.0]])
    image = np.zeros((8, 8, 3), np.uint8)
    return DetectionResult(boxes, torch.tensor([0.9]), torch.tensor([1]), ["a"], image)


def _label_map() -> SegmentationResult:
    mask = torch.zeros(8, 8, dtype=torch.int64)
    mask[2:5, 2:5] = 1
    return SegmentationResult(mask, torch.zeros(2, 8, 8), ["a"], np.zeros((8, 8, 3), np.uint8))


@pytest.mark.parametrize("image_id", ["abc", "3", 2.5, True])
def test_to_coco_refuses_an_image_id_that_is_no_whole_number(image_id):
    for result in (_detections(), _label_map()):
        with pytest.raises(ValueError, match=r"image_id must be a whole number.*got") as err:
            result.to_coco(image_id=image_id)
        assert "\n" not in str(err.value)


@pytest.mark.parametrize("image_id", [7, np.int64(7), 7.0, torch.tensor(7)])
def test_to_coco_takes_integers_of_any_kind(image_id):
    for result in (_detections(), _label_map()):
        records = result.to_coco(image_id=image_id)
        assert [type(r["image_id"]) for r in records] == [int] and records[0]["image_id"] == 7


@pytest.mark.parametrize("alpha", ["0.5", None, False, float("nan"), 1.5])
def test_plot_refuses_an_alpha_that_is_no_number_in_0_1(alpha):
    with pytest.raises(ValueError, match=r"alpha must be a number in \[0, 1\].*got"):
        _label_map().plot(alpha=alpha)


def test_plot_takes_numpy_and_integer_alphas():
    result = _label_map()
    assert np.array_equal(result.plot(alpha=np.float32(1.0)), result.plot(alpha=1))


@pytest.mark.parametrize("index", ["boxes", 1.0, [0.0], ["a"], torch.tensor([0.5])])
def test_detections_indexed_by_strings_or_floats_say_what_indexes_them(index):
    with pytest.raises(TypeError, match=r"cannot index the detections with .*result\.boxes"):
        _detections()[index]


@pytest.mark.parametrize("index", [0, -1, [0], (0,), np.array([0]), torch.tensor([True])])
def test_integer_and_boolean_indices_select_detections(index):
    assert len(_detections()[index]) == 1
