"""A COCO ground truth without ``area`` / ``iscrowd``: the ``--gt/--pred`` evaluation reads it
as the COCO reader does for training and a checkpoint's evaluation (box ``w * h``, ``0``)."""

from __future__ import annotations

import copy
import json

import cv2
import numpy as np

from detseg.data.coco import CocoDetection
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 300, "height": 200}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 20, 20]},  # small
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [50, 50, 60, 60]},  # medium
        {"id": 3, "image_id": 1, "category_id": 2, "bbox": [150, 10, 120, 150]},  # large
        {"id": 4, "image_id": 1, "category_id": 2, "bbox": [0, 120, 40, 40], "iscrowd": 1},
    ],
    "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": [1, 0, 20, 20], "score": 0.9},
    {"image_id": 1, "category_id": 1, "bbox": [50, 58, 60, 60], "score": 0.8},
    {"image_id": 1, "category_id": 2, "bbox": [150, 10, 100, 150], "score": 0.7},
    {"image_id": 1, "category_id": 2, "bbox": [2, 122, 30, 30], "score": 0.6},
]


def test_model_free_evaluation_reads_the_gt_as_the_coco_reader(tmp_path):
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(GT))
    pred_path.write_text(json.dumps(DETECTIONS))
    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((200, 300, 3), np.uint8))  # the reader's check

    summary = evaluate_prediction_files(gt_path, pred_path, out=tmp_path / "out")

    reader_gt = CocoDetection(tmp_path, gt_path).coco_gt()
    expected = coco_evaluate(reader_gt, DETECTIONS)
    assert [summary.metrics[k] for k in KEYS] == [expected[k] for k in KEYS]
    filled = copy.deepcopy(GT)
    for ann in filled["annotations"]:
        ann.setdefault("iscrowd", 0)
        ann["area"] = ann["bbox"][2] * ann["bbox"][3]
    by_hand = coco_evaluate(filled, DETECTIONS)
    assert [summary.metrics[k] for k in KEYS] == [by_hand[k] for k in KEYS]
    assert summary.metrics["APs"] >= 0 and summary.metrics["APl"] >= 0
