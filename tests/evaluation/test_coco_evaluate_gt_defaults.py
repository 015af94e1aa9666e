"""``coco_evaluate`` reads a ground truth without ``area`` / ``iscrowd`` as ``detseg-eval --gt``
and the COCO reader do (box ``w * h`` or the mask's pixel count, ``0``): the numbers are
pycocotools' on the filled ground truth; one that has them is scored as given."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from coco_without_area import DETECTIONS, GT, KEYS
from pycocotools_reference import pycocotools_eval

from detseg.data.coco_eval_defaults import ground_truth_with_eval_defaults
from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_ground_truth import load_coco_gt


def _filled_by_hand() -> dict:
    filled = copy.deepcopy(GT)
    for ann in filled["annotations"]:
        ann.setdefault("iscrowd", 0)
        ann["area"] = ann["bbox"][2] * ann["bbox"][3]
    return filled


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_a_gt_without_area_and_iscrowd_is_filled(backend):
    given = copy.deepcopy(GT)
    result = coco_evaluate(GT, DETECTIONS, backend=backend)
    assert GT == given  # not modified
    reference = [float(v) for v in pycocotools_eval(_filled_by_hand(), DETECTIONS).stats]
    got = [result[key] for key in KEYS]
    if backend == "pycocotools":
        assert got == reference
    else:
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-15)
    assert ground_truth_with_eval_defaults(GT) == _filled_by_hand()


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_a_gt_with_area_and_iscrowd_keeps_them(backend):
    # areas unlike the boxes' w * h, so that filling them would move the area ranges
    gt = _filled_by_hand()
    for ann, area in zip(gt["annotations"], [5000, 10, 20000, 7], strict=True):
        ann["area"] = area
    loaded = load_coco_gt(gt)
    assert [a["area"] for a in loaded["annotations"]] == [5000, 10, 20000, 7]
    assert [a["iscrowd"] for a in loaded["annotations"]] == [0, 0, 0, 1]
    result = coco_evaluate(gt, DETECTIONS, backend=backend)
    reference = [float(v) for v in pycocotools_eval(gt, DETECTIONS).stats]
    np.testing.assert_allclose([result[k] for k in KEYS], reference, rtol=0, atol=1e-15)


def test_a_mask_gt_without_area_gets_the_mask_pixel_count():
    gt = copy.deepcopy(GT)
    gt["annotations"] = [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [0, 0, 20, 20],
            "segmentation": [[0, 0, 20, 0, 0, 20]],
        }
    ]
    (ann,) = load_coco_gt(gt)["annotations"]
    assert ann["iscrowd"] == 0 and 180 < ann["area"] < 240  # the triangle, not the box's 400


def test_numpy_box_values_give_the_box_area():
    """A ground truth built in Python may hold numpy scalars: the box's area is still its
    ``w * h`` (it was NaN, and refused as "area nan")."""
    numpy_boxes = copy.deepcopy(GT)
    for ann in numpy_boxes["annotations"]:
        ann["bbox"] = [np.int64(v) if float(v).is_integer() else np.float32(v) for v in ann["bbox"]]
    filled = load_coco_gt(numpy_boxes)
    expected = load_coco_gt(_filled_by_hand())
    assert [a["area"] for a in filled["annotations"]] == pytest.approx(
        [a["area"] for a in expected["annotations"]]
    )
