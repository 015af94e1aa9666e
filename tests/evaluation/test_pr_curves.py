"""PR curves: slices of COCOeval's precision array, checked by hand and against coco_evaluate."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.pr_curves import evaluate_with_arrays, plot_pr_curve, plot_pr_per_class

BACKENDS = ["pycocotools", "faster"]
# pycocotools divides by (tp + fp + eps): a perfect precision is 1 - 2e-16 there.
EPS = 1e-12


def _ann(ann_id: int, image_id: int, cat: int, box: list[float], crowd: int = 0) -> dict:
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": cat,
        "bbox": box,
        "area": float(box[2] * box[3]),
        "iscrowd": crowd,
    }


def _gt() -> dict:
    """Two images; "cat" (id 1) has two boxes, "dog" (id 3) one, "cow" (id 4) none."""
    return {
        "images": [{"id": 1, "width": 100, "height": 100}, {"id": 2, "width": 100, "height": 100}],
        "annotations": [
            _ann(1, 1, 1, [0, 0, 20, 20]),
            _ann(2, 2, 1, [50, 50, 30, 30]),
            _ann(3, 2, 3, [0, 0, 40, 40]),
        ],
        "categories": [
            {"id": 1, "name": "cat"},
            {"id": 3, "name": "dog"},
            {"id": 4, "name": "cow"},
        ],
    }


def _det(image_id: int, cat: int, box: list[float], score: float) -> dict:
    return {"image_id": image_id, "category_id": cat, "bbox": box, "score": score}


@pytest.mark.parametrize("backend", BACKENDS)
def test_perfect_detections_give_precision_one_up_to_recall_one(backend: str) -> None:
    dets = [
        _det(1, 1, [0, 0, 20, 20], 0.9),
        _det(2, 1, [50, 50, 30, 30], 0.8),
        _det(2, 3, [0, 0, 40, 40], 0.7),
    ]
    _, curves = evaluate_with_arrays(_gt(), dets, backend=backend)
    assert curves.class_names == ["cat", "dog", "cow"]
    np.testing.assert_allclose(curves.recall, np.linspace(0, 1, 101))
    per_class = curves.per_class(0.5)
    assert per_class.shape == (101, 3)
    np.testing.assert_allclose(per_class[:, :2], 1.0, atol=EPS)
    assert (per_class[:, 2] == -1).all()  # "cow" has no ground truth
    np.testing.assert_allclose(curves.overall(0.5), 1.0, atol=EPS)
    np.testing.assert_allclose(curves.overall(0.75), 1.0, atol=EPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_hand_computed_curve_with_one_false_positive(backend: str) -> None:
    # cat: TP (0.9), FP (0.8), TP (0.7). Raw (recall, precision): (.5, 1), (.5, .5), (1, 2/3).
    # Interpolated (max to the right): 1 for recall <= 0.5, 2/3 above.
    dets = [
        _det(1, 1, [0, 0, 20, 20], 0.9),
        _det(1, 1, [60, 0, 20, 20], 0.8),
        _det(2, 1, [50, 50, 30, 30], 0.7),
    ]
    metrics, curves = evaluate_with_arrays(_gt(), dets, backend=backend)
    expected = np.where(np.arange(101) <= 50, 1.0, 2.0 / 3.0)
    np.testing.assert_allclose(curves.per_class(0.5)[:, 0], expected, atol=EPS)
    # dog has ground truth but no detection: precision 0 at every recall threshold.
    np.testing.assert_array_equal(curves.per_class(0.5)[:, 1], 0.0)
    np.testing.assert_allclose(curves.overall(0.5), expected / 2, atol=EPS)
    assert metrics["per_class"]["cat"]["AP50"] == pytest.approx((51 + 50 * 2 / 3) / 101, abs=EPS)


@pytest.mark.parametrize("backend", BACKENDS)
def test_curve_means_are_the_reported_ap50_and_ap75(backend: str) -> None:
    dets = [
        _det(1, 1, [2, 0, 20, 20], 0.9),  # IoU 0.82 with the cat box of image 1
        _det(1, 3, [0, 0, 20, 20], 0.95),  # wrong class
        _det(2, 1, [50, 56, 30, 30], 0.6),  # IoU 0.67: a match at 0.5, not at 0.75
        _det(2, 3, [4, 4, 40, 40], 0.5),  # IoU 0.74
        _det(2, 3, [60, 60, 10, 10], 0.85),  # FP ranked first
    ]
    metrics, curves = evaluate_with_arrays(_gt(), dets, backend=backend)
    assert curves.overall(0.5).mean() == pytest.approx(metrics["AP50"], abs=EPS)
    assert curves.overall(0.75).mean() == pytest.approx(metrics["AP75"], abs=EPS)
    assert 0 < metrics["AP75"] < metrics["AP50"] < 1  # the case exercises both thresholds


@pytest.mark.parametrize("backend", BACKENDS)
def test_metrics_are_identical_to_coco_evaluate(backend: str) -> None:
    dets = [_det(1, 1, [1, 1, 18, 22], 0.4), _det(2, 3, [0, 5, 40, 30], 0.8)]
    metrics, _ = evaluate_with_arrays(_gt(), dets, backend=backend)
    assert metrics == coco_evaluate(_gt(), dets, backend=backend)


def test_no_ground_truth_gives_nan_overall_curve_and_unknown_iou_raises() -> None:
    gt = _gt()
    gt["annotations"] = []
    _, curves = evaluate_with_arrays(gt, [_det(1, 1, [0, 0, 5, 5], 0.5)])
    assert np.isnan(curves.overall(0.5)).all()
    with pytest.raises(ValueError, match="IoU threshold 0.52 was not evaluated"):
        curves.per_class(0.52)
    with pytest.raises(ValueError, match="backend"):
        evaluate_with_arrays(gt, [], backend="fast")


def test_plots_are_valid_pngs(tmp_path) -> None:
    _, curves = evaluate_with_arrays(_gt(), [_det(1, 1, [0, 0, 20, 20], 0.9)])
    paths = [
        plot_pr_curve(curves, 0.5, tmp_path / "a" / "pr50.png"),
        plot_pr_per_class(curves, tmp_path / "per_class.png"),
    ]
    for path in paths:
        image = cv2.imread(str(path))
        assert image is not None and image.shape[0] > 100 and image.shape[1] > 100
