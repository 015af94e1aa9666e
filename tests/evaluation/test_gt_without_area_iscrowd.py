"""A COCO ground truth without ``area`` / ``iscrowd``: the ``--gt/--pred`` evaluation reads it
as the COCO reader does for training and a checkpoint's evaluation (box ``w * h``, ``0``)."""

from __future__ import annotations

import copy
import json

import cv2
import numpy as np
from coco_without_area import DETECTIONS, GT, KEYS

from detseg.data.coco import CocoDetection
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files


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
