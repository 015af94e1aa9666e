"""``coco_evaluate`` given something other than a list of COCO result records: one record
without its list, or ``model.predict``'s per-image dicts, named with what to pass instead."""

from __future__ import annotations

import pytest
import torch

from detseg.evaluation.coco import coco_evaluate

GT = {
    "images": [{"id": 1, "width": 80, "height": 64}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [5, 5, 25, 35],
            "area": 875,
            "iscrowd": 0,
        }
    ],
    "categories": [{"id": 1, "name": "a"}],
}
RECORD = {"image_id": 1, "category_id": 1, "bbox": [5, 5, 25, 35], "score": 0.9}


def test_one_record_without_a_list() -> None:
    with pytest.raises(ValueError, match=r"got one dict; wrap it in a list"):
        coco_evaluate(GT, RECORD)  # type: ignore[arg-type]
    assert coco_evaluate(GT, [RECORD])["AP"] == 1.0


def test_model_predictions_in_place_of_records() -> None:
    prediction = {
        "boxes": torch.tensor([[5.0, 5.0, 30.0, 40.0]]),
        "scores": torch.tensor([0.9]),
        "labels": torch.tensor([1]),
    }
    with pytest.raises(ValueError, match=r"model prediction .*predictions_to_coco_results"):
        coco_evaluate(GT, [prediction])
