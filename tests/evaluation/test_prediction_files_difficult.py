"""``--gt/--pred`` with ground-truth annotations of ``difficult: 1`` and ``iscrowd: 0``: the VOC
AP ignores them, the COCO numbers are pycocotools' on the file (which reads only ``iscrowd``)
and count them as objects to find; one warning says how many and how to have both ignore them."""

from __future__ import annotations

import json
import logging

import pytest
from pycocotools_reference import pycocotools_eval

from detseg.evaluation.coco import COCO_KEYS
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

BOXES = [(1, [4, 4, 20, 10]), (2, [10, 5, 30, 30]), (2, [40, 30, 12, 12])]


def _gt(difficult: int, iscrowd: int) -> dict:
    """Three boxes of one class; the third (not detected) has the given flags."""
    annotations = [
        {
            "id": k + 1,
            "image_id": image_id,
            "category_id": 3,
            "bbox": box,
            "area": box[2] * box[3],
            "iscrowd": 0,
        }
        for k, (image_id, box) in enumerate(BOXES)
    ]
    annotations[2].update(difficult=difficult, iscrowd=iscrowd)
    return {
        "images": [{"id": k, "file_name": f"{k}.png", "width": 64, "height": 48} for k in (1, 2)],
        "annotations": annotations,
        "categories": [{"id": 3, "name": "cat"}],
    }


DETECTIONS = [
    {"image_id": image_id, "category_id": 3, "bbox": box, "score": 0.9}
    for image_id, box in BOXES[:2]
]


def _evaluate(tmp_path, gt: dict, metric: str):
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(DETECTIONS))
    summary = evaluate_prediction_files(
        gt_path, pred_path, tmp_path / "out", metric=metric, backend="pycocotools", worst_k=0
    )
    return summary.metrics, gt_path


@pytest.mark.parametrize("metric", ["voc07", "coco"])
def test_difficult_but_not_crowd_is_ignored_by_voc_only_with_a_warning(tmp_path, metric, caplog):
    gt = _gt(difficult=1, iscrowd=0)
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.prediction_files_eval"):
        metrics, gt_path = _evaluate(tmp_path, gt, metric)
    reference = [float(v) for v in pycocotools_eval(gt, DETECTIONS).stats]
    assert [metrics[key] for key in COCO_KEYS] == reference  # pycocotools' on the json
    assert metrics["AR100"] == pytest.approx(2 / 3)  # the difficult box counts as a miss
    if metric == "voc07":
        assert metrics["voc"]["mAP"] == 1.0  # ignored by the VOC AP
    warnings = [r.getMessage() for r in caplog.records if "difficult: 1" in r.getMessage()]
    assert warnings == [
        f"{gt_path}: 1 ground-truth annotation(s) have difficult: 1 and iscrowd: 0: the VOC AP "
        "(metric voc07 or voc12) ignores them, while the COCO numbers count them as objects to "
        "find (pycocotools reads only iscrowd); set iscrowd: 1 on them to have the COCO numbers "
        "ignore them too"
    ]


def test_difficult_and_crowd_is_ignored_by_both_without_a_warning(tmp_path, caplog):
    gt = _gt(difficult=1, iscrowd=1)
    with caplog.at_level(logging.WARNING):
        metrics, _ = _evaluate(tmp_path, gt, "voc07")
    assert metrics["voc"]["mAP"] == 1.0 and metrics["AR100"] == 1.0
    assert [metrics[key] for key in COCO_KEYS] == [
        float(v) for v in pycocotools_eval(gt, DETECTIONS).stats
    ]
    assert "difficult: 1" not in caplog.text
