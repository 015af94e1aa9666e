"""The detection confusion matrix at IoU and score exactly equal to the thresholds: a match
and a kept detection (COCOeval's ``>=`` rule; Ultralytics' confusion matrix uses ``>`` for
both, so its matrix counts such a detection as a false positive and the gt as missed)."""

from __future__ import annotations

import numpy as np

from detseg.evaluation.detection_confusion import detection_confusion

GT_BOX = [0.0, 0.0, 10.0, 10.0]
HALF_BOX = [0.0, 0.0, 10.0, 5.0]  # IoU with GT_BOX: 50 / 100 = 0.5 exactly


def _gt() -> dict:
    box = {"id": 1, "image_id": 1, "category_id": 1, "bbox": GT_BOX, "area": 100.0, "iscrowd": 0}
    return {
        "images": [{"id": 1, "width": 20, "height": 20}],
        "annotations": [box],
        "categories": [{"id": 1, "name": "a"}],
    }


def _det(score: float) -> list[dict]:
    return [{"image_id": 1, "category_id": 1, "bbox": HALF_BOX, "score": score}]


def test_iou_equal_to_the_threshold_matches():
    matrix = detection_confusion(_gt(), _det(0.9), iou_threshold=0.5).matrix
    np.testing.assert_array_equal(matrix, [[1, 0], [0, 0]])


def test_iou_just_below_the_threshold_is_a_false_positive_and_a_miss():
    above = float(np.nextafter(0.5, 1.0))
    matrix = detection_confusion(_gt(), _det(0.9), iou_threshold=above).matrix
    np.testing.assert_array_equal(matrix, [[0, 1], [1, 0]])


def test_score_equal_to_the_threshold_is_kept():
    kept = detection_confusion(_gt(), _det(0.3), score_threshold=0.3).matrix
    np.testing.assert_array_equal(kept, [[1, 0], [0, 0]])
    left_out = detection_confusion(_gt(), _det(0.3), score_threshold=0.30000001).matrix
    np.testing.assert_array_equal(left_out, [[0, 1], [0, 0]])
