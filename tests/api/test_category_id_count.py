"""``to_coco(category_ids=...)`` takes one id per class of the model: a list of another length
is refused up front, naming both counts (it named an internal ``cat_ids`` and advised
"labels must be 1..K", or was taken silently when it covered the labels present)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.results import DetectionResult, SegmentationResult

CLASSES = ["a", "b", "c", "d", "e"]


def _detections() -> DetectionResult:
    boxes = torch.tensor([[1.0, 1.0, 5.0, 5.0], [2.0, 2.0, 6.0, 6.0]])
    image = np.zeros((8, 8, 3), np.uint8)
    return DetectionResult(boxes, torch.tensor([0.9, 0.5]), torch.tensor([1, 4]), CLASSES, image)


def _label_map() -> SegmentationResult:
    mask = torch.zeros(8, 8, dtype=torch.int64)
    mask[2:5, 2:5] = 1
    image = np.zeros((8, 8, 3), np.uint8)
    return SegmentationResult(mask, torch.zeros(6, 8, 8), CLASSES, image)


@pytest.mark.parametrize(
    ("ids", "message"),
    [
        ([10, 20], "category_ids has 2 ids for the model's 5 classes; give one per class"),
        ([10], "category_ids has 1 id for the model's 5 classes; give one per class"),
        (list(range(6)), "category_ids has 6 ids for the model's 5 classes; give one per class"),
    ],
    ids=["too-few-covering-label-1", "one", "too-many"],
)
@pytest.mark.parametrize("make", [_detections, _label_map], ids=["detections", "label-map"])
def test_to_coco_refuses_category_ids_of_another_count(make, ids, message):
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        make().to_coco(1, category_ids=ids)


@pytest.mark.parametrize("make", [_detections, _label_map], ids=["detections", "label-map"])
def test_to_coco_takes_one_id_per_class(make):
    records = make().to_coco(1, category_ids=[10, 20, 30, 40, 50])
    assert {r["category_id"] for r in records} <= {10, 20, 30, 40, 50} and records
