"""voc_evaluate on tables worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from detseg.evaluation import voc_evaluate
from detseg.evaluation.voc import all_point_ap, voc07_ap


def _case() -> tuple[list[dict], list[dict]]:
    """Two images. Class 1, with npos = 3 (G2 is difficult):

    image A: G1 [0,0,10,10], G2 [20,0,30,10] difficult, G3 [40,0,50,10]; image B: G4 [0,0,10,10]

    det  score image box            best gt, IoU       outcome    cum TP/FP  recall  precision
    d1   0.95  A     [0,0,10,10]    G1, 1.0            TP         1/0        1/3     1
    d2   0.90  A     [0,0,10,10]    G1 (taken)         FP (dup)   1/1        1/3     1/2
    d3   0.85  A     [20,0,30,10]   G2, 1.0 difficult  ignored    1/1        1/3     1/2
    d4   0.80  B     [50,50,60,60]  none               FP         1/2        1/3     1/3
    d5   0.70  B     [1,0,11,10]    G4, 90/110         TP         2/2        2/3     1/2
    d6   0.60  A     [40,0,45,10]   G3, 50/100 = 0.5   FP (not >) 2/3        2/3     2/5
    d7   0.50  A     [40,0,50,10]   G3, 1.0            TP         3/3        1       1/2

    All-point: envelope 1 on (0, 1/3], 1/2 on (1/3, 1] -> AP = 1/3 + 1/3 * 1/2 * 2 = 2/3.
    11-point: t = 0..0.3 -> 1 (4 points); t = 0.4..1.0 -> 1/2 (7 points): AP = 7.5 / 11.

    Class 2: only a difficult object (image B) and a detection on it -> no positive: nan.
    Class 3: a detection without any object -> no positive: nan.
    Class 4: one object found exactly -> AP 1 (both metrics).
    """
    gt_a = {
        "boxes": [[0, 0, 10, 10], [20, 0, 30, 10], [40, 0, 50, 10], [60, 60, 70, 70]],
        "labels": [1, 1, 1, 4],
        "difficult": [False, True, False, False],
    }
    gt_b = {"boxes": [[0, 0, 10, 10], [30, 30, 40, 40]], "labels": [1, 2], "difficult": [0, 1]}
    boxes_a = [
        [0, 0, 10, 10],  # d1
        [0, 0, 10, 10],  # d2
        [20, 0, 30, 10],  # d3
        [40, 0, 45, 10],  # d6
        [40, 0, 50, 10],  # d7
        [60, 60, 70, 70],  # class 4
        [0, 0, 5, 5],  # class 3
    ]
    dets_a = {
        "boxes": boxes_a,
        "scores": [0.95, 0.90, 0.85, 0.60, 0.50, 0.9, 0.3],
        "labels": [1, 1, 1, 1, 1, 4, 3],
    }
    dets_b = {
        "boxes": [[50, 50, 60, 60], [1, 0, 11, 10], [30, 30, 40, 40]],  # d4, d5, class 2
        "scores": [0.80, 0.70, 0.99],
        "labels": [1, 1, 2],
    }
    return [gt_a, gt_b], [dets_a, dets_b]


def _as_tensors(entries: list[dict]) -> list[dict]:
    out = []
    for entry in entries:
        out.append({k: torch.tensor(np.asarray(v)) for k, v in entry.items()})
    return out


@pytest.mark.parametrize("tensors", [False, True])
def test_all_point_ap_hand_computed(tensors: bool) -> None:
    gts, dets = _case()
    if tensors:
        gts, dets = _as_tensors(gts), _as_tensors(dets)
    result = voc_evaluate(gts, dets)
    assert result["AP"][1] == pytest.approx(2 / 3, abs=1e-12)
    assert result["AP"][4] == 1.0
    assert math.isnan(result["AP"][2]) and math.isnan(result["AP"][3])
    assert sorted(result["AP"]) == [1, 2, 3, 4]
    assert result["mAP"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-12)


def test_voc07_ap_hand_computed() -> None:
    result = voc_evaluate(*_case(), use_07_metric=True)
    assert result["AP"][1] == pytest.approx(7.5 / 11, abs=1e-12)
    assert result["mAP"] == pytest.approx((7.5 / 11 + 1) / 2, abs=1e-12)


def test_iou_threshold_is_strict_and_configurable() -> None:
    # d6 has IoU exactly 0.5 with G3: a FP at 0.5, a TP at 0.45 (then d7 becomes a duplicate):
    # ranks TP FP ign FP TP TP FP -> cum TP 1 1 1 1 2 3 3, FP 0 1 1 2 2 2 3:
    # recall 1/3 1/3 1/3 1/3 2/3 1 1, precision 1 1/2 1/2 1/3 1/2 3/5 1/2;
    # envelope: 1 to 1/3, 0.6 to 1 -> AP = 1/3 + 2/3 * 0.6 = 0.7333...
    result = voc_evaluate(*_case(), iou_threshold=0.45)
    assert result["AP"][1] == pytest.approx(1 / 3 + 2 / 3 * 0.6, abs=1e-12)


def test_best_gt_taken_is_a_false_positive_even_if_another_gt_overlaps() -> None:
    # H1 [0,0,10,10], H2 [2,0,12,10]. e1 = H1 exactly (TP). e2 [0.5,0,10.5,10]:
    # IoU 95/105 with H1 (taken) and 85/115 = 0.74 with H2 -> the devkit rule makes it a FP.
    # Ranks TP, FP, npos 2: recall 1/2 1/2, precision 1 1/2 -> AP = 1/2.
    gts = [{"boxes": [[0, 0, 10, 10], [2, 0, 12, 10]], "labels": [1, 1]}]
    dets = [{"boxes": [[0, 0, 10, 10], [0.5, 0, 10.5, 10]], "scores": [0.9, 0.8], "labels": [1, 1]}]
    assert voc_evaluate(gts, dets)["AP"][1] == pytest.approx(0.5, abs=1e-12)


def test_no_detections_and_no_positives() -> None:
    gts = [{"boxes": [[0, 0, 10, 10]], "labels": [1]}, {"boxes": np.zeros((0, 4)), "labels": []}]
    empty = {"boxes": np.zeros((0, 4)), "scores": [], "labels": []}
    result = voc_evaluate(gts, [empty, empty])
    assert result == {"mAP": 0.0, "AP": {1: 0.0}}
    nothing = voc_evaluate([{"boxes": np.zeros((0, 4)), "labels": []}], [empty])
    assert math.isnan(nothing["mAP"]) and nothing["AP"] == {}


def test_ap_curves_by_hand() -> None:
    recall, precision = np.array([0.3, 0.3, 0.6]), np.array([1.0, 0.5, 0.75])
    # 11-point at voc_eval.py's thresholds np.arange(0, 1.1, 0.1): t = 0, 0.1, 0.2 -> max(1, .5,
    # .75) = 1 (3 points); its 0.30000000000000004, 0.4, 0.5 -> 0.75 (3: recall 0.3 is below its
    # fourth threshold); 0.6000000000000001 and above -> 0 (recall 0.6 is below it too).
    assert voc07_ap(recall, precision) == pytest.approx((3 + 3 * 0.75) / 11, abs=1e-12)
    # all-point: 0.3 * 1 + 0.3 * 0.75
    assert all_point_ap(recall, precision) == pytest.approx(0.3 + 0.3 * 0.75, abs=1e-12)


def test_bad_inputs_raise() -> None:
    gts, dets = _case()
    with pytest.raises(ValueError, match="2 ground truths and 1 detections"):
        voc_evaluate(gts, dets[:1])
    gts[0]["difficult"] = [False]
    with pytest.raises(ValueError, match="image 0"):
        voc_evaluate(gts, dets)
