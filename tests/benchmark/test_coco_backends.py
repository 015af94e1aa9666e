"""faster-coco-eval and pycocotools on a synthetic COCO set: same numbers, both timed."""

from __future__ import annotations

import pytest

from detseg.benchmark.coco_backends import (
    BackendComparison,
    compare_coco_backends,
    format_backend_comparison,
    result_differences,
)
from detseg.benchmark.synthetic_coco import describe_synthetic_coco, synthetic_coco


@pytest.mark.parametrize("iou_type", ["bbox", "segm"])
def test_backends_agree_on_a_synthetic_set(iou_type):
    gt, dets = synthetic_coco(30, 8, 4, iou_type, seed=0)
    assert len(gt["images"]) == 30 and len(dets) == 30 * 8
    assert {d["category_id"] for d in dets} <= {1, 2, 3, 4}
    assert all(("segmentation" in d) == (iou_type == "segm") for d in dets)
    assert describe_synthetic_coco(gt, dets, iou_type).startswith(
        f"synthetic COCO ({iou_type}): 30 images, {len(gt['annotations'])} objects, 240 detections"
    )
    result = compare_coco_backends(gt, dets, iou_type)
    assert result.agree
    assert result.results["faster"]["AP"] > 0  # jittered copies of the gt: real matches
    assert all(seconds > 0 for seconds in result.seconds.values())
    lines = format_backend_comparison(result)
    assert lines[-1].startswith("numbers agree: True")


def test_synthetic_set_is_reproducible():
    assert synthetic_coco(5, 4, 3, "bbox", seed=1) == synthetic_coco(5, 4, 3, "bbox", seed=1)
    assert synthetic_coco(5, 4, 3, "bbox", seed=1) != synthetic_coco(5, 4, 3, "bbox", seed=2)


def test_a_difference_above_the_tolerance_is_disagreement():
    reference = {"AP": 0.5, "AR1": 0.25, "per_class": {"cat": {"AP": 0.5}}}
    fast = {"AP": 0.5, "AR1": 0.25, "per_class": {"cat": {"AP": 0.5 + 1e-9}}}
    differences = result_differences(fast, reference)
    assert differences["AP"] == 0.0 and differences["cat/AP"] == pytest.approx(1e-9)
    result = BackendComparison({"faster": 1.0, "pycocotools": 2.0}, {}, differences)
    assert result.worst == "cat/AP" and not result.agree


@pytest.mark.parametrize(
    ("faster", "verdict"),
    [
        (1.0, "2.00x (faster-coco-eval is the faster"),
        (4.0, "0.50x (faster-coco-eval is the slower"),
    ],
)
def test_speed_line_names_the_library_and_which_is_faster(faster: float, verdict: str):
    results = {backend: {"AP": 0.5} for backend in ("faster", "pycocotools")}
    result = BackendComparison({"faster": faster, "pycocotools": 2.0}, results, {"AP": 0.0})
    lines = format_backend_comparison(result)
    assert lines[0].strip().startswith("faster-coco-eval:")
    assert lines[2] == f"speed-up of faster-coco-eval over pycocotools: {verdict} one here)"
