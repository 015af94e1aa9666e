"""A COCO json without ``area`` / ``iscrowd`` trains, so it must also validate and evaluate."""

from __future__ import annotations

import json

import cv2
import numpy as np

from detseg.data import CocoDetection
from detseg.engine.validation import coco_ground_truth
from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_checks import check_ground_truth


def _dataset(tmp_path):
    (tmp_path / "images").mkdir()
    assert cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((24, 32, 3), np.uint8))
    anns = [
        {"id": 1, "image_id": 1, "category_id": 7, "bbox": [2, 2, 10, 8]},
        {"id": 2, "image_id": 1, "category_id": 7, "bbox": [14, 4, 6, 6], "area": 30.0},
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 24}],
        "annotations": anns,
        "categories": [{"id": 7, "name": "a"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    return CocoDetection(tmp_path / "images", tmp_path / "ann.json")


def test_ground_truth_gets_the_defaults_the_reader_assumes(tmp_path):
    dataset = _dataset(tmp_path)
    gt = coco_ground_truth(dataset).gt
    check_ground_truth(gt)  # raised "lacks ['area', 'iscrowd']" before
    assert [a["area"] for a in gt["annotations"]] == [80.0, 30.0]
    assert [a["iscrowd"] for a in gt["annotations"]] == [0, 0]
    assert "area" not in dataset._gt["annotations"][0]  # the loaded json is not changed


def test_such_a_ground_truth_is_scored(tmp_path):
    gt = coco_ground_truth(_dataset(tmp_path)).gt
    detections = [
        {"image_id": 1, "category_id": 7, "bbox": a["bbox"], "score": 0.9}
        for a in gt["annotations"]
    ]
    assert coco_evaluate(gt, detections)["AP"] == 1.0
