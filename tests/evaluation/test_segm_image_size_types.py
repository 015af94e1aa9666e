"""Mask AP reads each image's ``height`` and ``width``: a whole float (``40.0``, as some
converters write it) gives the numbers of the integer size on both backends (faster-coco-eval
failed with a ``TypeError`` on it), and a value that is no size (a string, null) is one line
naming the image (both libraries failed with a ``TypeError``)."""

from __future__ import annotations

import copy

import pytest

from detseg.evaluation import coco_evaluate

SQUARE = [5.0, 3.0, 30.0, 3.0, 30.0, 25.0, 5.0, 25.0]
GT = {
    "images": [{"id": 4, "height": 40, "width": 50}],
    "categories": [{"id": 1, "name": "box"}],
    "annotations": [
        {
            "id": 1,
            "image_id": 4,
            "category_id": 1,
            "bbox": [5.0, 3.0, 25.0, 22.0],
            "area": 550.0,
            "iscrowd": 0,
            "segmentation": [SQUARE],
        },
        {
            "id": 2,
            "image_id": 4,
            "category_id": 1,
            "bbox": [0.0, 30.0, 10.0, 10.0],
            "area": 100.0,
            "iscrowd": 0,
            "segmentation": {"size": [40, 50], "counts": [30, 10] * 10 + [1600]},
        },
    ],
}
RESULTS = [
    {"image_id": 4, "category_id": 1, "score": 0.9, "segmentation": [SQUARE]},
    {
        "image_id": 4,
        "category_id": 1,
        "score": 0.8,
        "segmentation": [[0.0, 30.0, 9.0, 30.0, 9.0, 39.0]],
    },
]


def _with_size(height, width) -> dict:
    gt = copy.deepcopy(GT)
    gt["images"][0].update(height=height, width=width)
    return gt


def test_whole_float_sizes_give_the_integer_numbers_on_both_backends():
    reference = coco_evaluate(GT, RESULTS, iou_type="segm", backend="pycocotools")
    assert 0 < reference["AP"] < 1
    for backend in ("pycocotools", "faster"):
        result = coco_evaluate(_with_size(40.0, 50.0), RESULTS, iou_type="segm", backend=backend)
        per_class = result.pop("per_class")
        assert per_class["box"] == pytest.approx(reference["per_class"]["box"], abs=1e-12)
        numbers = {k: v for k, v in reference.items() if k != "per_class"}
        assert result == pytest.approx(numbers, abs=1e-12), backend


@pytest.mark.parametrize(("height", "width"), [("40", 50), (None, 50), (40, 50.5), (40, -50)])
def test_a_size_that_is_no_whole_number_is_named(height, width):
    with pytest.raises(ValueError) as error:
        coco_evaluate(_with_size(height, width), RESULTS, iou_type="segm")
    message = str(error.value)
    assert message.startswith(f"the ground truth: image 4 has height {height!r} and width")
    assert "expected whole numbers of pixels" in message and "\n" not in message
