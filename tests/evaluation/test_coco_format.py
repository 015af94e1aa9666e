"""predictions_to_coco_results and dataset_to_coco_gt."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils

from detseg.evaluation import coco_evaluate, dataset_to_coco_gt, predictions_to_coco_results


def test_boxes_labels_and_scores() -> None:
    pred = {
        "boxes": torch.tensor([[10.0, 20.0, 30.0, 60.0], [0.5, 1.25, 2.0, 3.0]]),
        "scores": torch.tensor([0.9, 0.25]),
        "labels": torch.tensor([2, 1]),
    }
    results = predictions_to_coco_results([42], [pred], cat_ids=[7, 13])
    score = float(torch.tensor(0.9))  # the float32 value itself, not rounded to 0.9
    assert results == [
        {"image_id": 42, "category_id": 13, "bbox": [10.0, 20.0, 20.0, 40.0], "score": score},
        {"image_id": 42, "category_id": 7, "bbox": [0.5, 1.25, 1.5, 1.75], "score": 0.25},
    ]
    assert [r["category_id"] for r in predictions_to_coco_results([1], [pred])] == [2, 1]
    assert json.loads(json.dumps(results)) == results


def test_full_precision_is_kept() -> None:
    pred = {"boxes": np.array([[1 / 3, 0.1, 2 / 3, 0.7]]), "scores": [0.5], "labels": [1]}
    (result,) = predictions_to_coco_results([1], [pred])
    assert result["bbox"] == [1 / 3, 0.1, 2 / 3 - 1 / 3, 0.7 - 0.1]


def test_masks_become_str_rles() -> None:
    binary = np.zeros((2, 5, 6), dtype=np.uint8)
    binary[0, 1:3, 2:5] = 1
    binary[1, 4, 0] = 1
    probs = torch.from_numpy(binary).float()[:, None] * 0.6 + 0.2  # 0.8 inside, 0.2 outside
    probs[1, 0, 0, 0] = 0.5  # exactly 0.5 is background (threshold is > 0.5)
    pred = {"boxes": torch.zeros(2, 4), "scores": torch.ones(2), "labels": torch.ones(2, dtype=int)}
    for masks in (torch.from_numpy(binary), probs):
        results = predictions_to_coco_results([3], [{**pred, "masks": masks}])
        for result, expected in zip(results, binary, strict=True):
            rle = result["segmentation"]
            assert isinstance(rle["counts"], str) and rle["size"] == [5, 6]
            assert np.array_equal(mask_utils.decode(rle), expected)
        json.dumps(results)


def test_empty_predictions_and_bad_inputs() -> None:
    empty = {"boxes": torch.zeros(0, 4), "scores": torch.zeros(0), "labels": torch.zeros(0)}
    assert predictions_to_coco_results([1], [{**empty, "masks": torch.zeros(0, 1, 4, 4)}]) == []
    with pytest.raises(ValueError, match="image ids"):
        predictions_to_coco_results([1, 2], [empty])
    bad = {"boxes": torch.zeros(1, 4), "scores": torch.ones(1), "labels": torch.tensor([3])}
    with pytest.raises(ValueError, match="label 3"):
        predictions_to_coco_results([1], [bad], cat_ids=[1, 2])
    with pytest.raises(ValueError, match="differ in length"):
        predictions_to_coco_results([1], [{**bad, "scores": torch.ones(2)}])


class _ToyDataset:
    """Follows the dataset contract of docs/ARCHITECTURE.md (detseg.data)."""

    classes = ["circle", "square"]

    def __init__(self, with_cat_ids: bool, with_masks: bool) -> None:
        self.image_ids = [5, 6, 8]
        if with_cat_ids:
            self.cat_ids = [11, 3]
        self.with_masks = with_masks

    def __len__(self) -> int:
        return len(self.image_ids)

    def __getitem__(self, index: int):
        if index == 2:
            return None  # unreadable image
        boxes = [[2.0, 4.0, 12.0, 10.0], [0.0, 0.0, 20.0, 30.0]][: 2 - index]
        target = {
            "boxes": torch.tensor(boxes).reshape(-1, 4),
            "labels": torch.tensor([2, 1][: 2 - index]),
            "image_id": torch.tensor(self.image_ids[index]),
            "iscrowd": torch.tensor([0, 1][: 2 - index]),
        }
        if self.with_masks:
            masks = torch.zeros(len(boxes), 32, 24, dtype=torch.uint8)
            for i, (x1, y1, x2, y2) in enumerate(boxes):
                masks[i, int(y1) : int(y2), int(x1) : int(x2)] = 1
            target["masks"] = masks
            target["area"] = masks.flatten(1).sum(1).float()
        return torch.zeros(3, 32, 24), target


@pytest.mark.parametrize("with_cat_ids", [False, True])
def test_dataset_to_coco_gt(with_cat_ids: bool) -> None:
    gt = dataset_to_coco_gt(_ToyDataset(with_cat_ids, with_masks=False))
    ids = [11, 3] if with_cat_ids else [1, 2]
    assert gt["categories"] == [{"id": ids[0], "name": "circle"}, {"id": ids[1], "name": "square"}]
    assert gt["images"] == [
        {"id": 5, "width": 24, "height": 32},
        {"id": 6, "width": 24, "height": 32},
    ]
    square, circle = ids[1], ids[0]
    small_box = {"bbox": [2.0, 4.0, 10.0, 6.0], "area": 60.0}
    large_box = {"bbox": [0.0, 0.0, 20.0, 30.0], "area": 600.0}
    assert gt["annotations"] == [
        {"id": 1, "image_id": 5, "category_id": square, **small_box, "iscrowd": 0},
        {"id": 2, "image_id": 5, "category_id": circle, **large_box, "iscrowd": 1},
        {"id": 3, "image_id": 6, "category_id": square, **small_box, "iscrowd": 0},
    ]


def test_round_trip_ground_truth_as_predictions_gives_full_ap() -> None:
    dataset = _ToyDataset(with_cat_ids=True, with_masks=True)
    gt = dataset_to_coco_gt(dataset)
    assert gt["annotations"][0]["area"] == 60.0
    assert np.array_equal(
        mask_utils.decode(gt["annotations"][0]["segmentation"]), dataset[0][1]["masks"][0].numpy()
    )
    targets = [dataset[i][1] for i in range(2)]
    predictions = [{**t, "scores": torch.linspace(1.0, 0.5, len(t["labels"]))} for t in targets]
    results = predictions_to_coco_results(dataset.image_ids[:2], predictions, dataset.cat_ids)
    for iou_type in ("bbox", "segm"):
        for backend in ("pycocotools", "faster"):
            result = coco_evaluate(gt, results, iou_type=iou_type, backend=backend)
            assert result["AP"] == pytest.approx(1.0, abs=1e-12), (iou_type, backend)
            assert result["per_class"]["square"]["AR100"] == 1.0
