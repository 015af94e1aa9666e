"""``voc_evaluate`` on a NaN / inf score or box: a NaN score used to rank its detection
anywhere (a lone one on an object gave AP 1.0); now the image and the detection are named."""

from __future__ import annotations

import math

import numpy as np
import pytest

from detseg.evaluation import voc_evaluate

GT = [{"boxes": np.array([[10.0, 10.0, 50.0, 50.0]]), "labels": np.array([1])}]


def _detections(box: list[float], score: float) -> list[dict]:
    return [{"boxes": np.array([box]), "scores": np.array([score]), "labels": np.array([1])}]


@pytest.mark.parametrize(
    "box,score",
    [
        ([10.0, 10.0, 50.0, 50.0], math.nan),
        ([10.0, 10.0, 50.0, 50.0], math.inf),
        ([10.0, math.nan, 50.0, 50.0], 0.9),
    ],
)
def test_non_finite_detection_is_named(box, score):
    with pytest.raises(ValueError, match=r"^detections of image 0: detection 0 has score .*finite"):
        voc_evaluate(GT, _detections(box, score))


def test_non_finite_ground_truth_box_is_named():
    gt = [
        {
            "boxes": np.array([[10.0, 10.0, 50.0, 50.0], [0.0, 0.0, math.inf, 5.0]]),
            "labels": np.array([1, 1]),
        }
    ]
    with pytest.raises(ValueError, match=r"^ground truth of image 0: box 1 is .*finite"):
        voc_evaluate(gt, _detections([10.0, 10.0, 50.0, 50.0], 0.9))


def test_finite_inputs_still_score():
    assert voc_evaluate(GT, _detections([10.0, 10.0, 50.0, 50.0], 0.9))["mAP"] == 1.0
