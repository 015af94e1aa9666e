"""Boxes given as tuples, in the ground truth or in the detections (as Python code builds them),
are scored as the lists they hold: both libraries failed on them deep inside (pycocotools with
an ``IndexError``, faster-coco-eval with "list input can be bounding box (Nx4) or RLEs")."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pycocotools_reference import pycocotools_eval

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco import COCO_KEYS

BOXES = [(1, [4, 4, 20, 10]), (2, [10, 5, 30, 30]), (2, [40, 30, 12, 12])]
GT = {
    "images": [{"id": k, "width": 64, "height": 48} for k in (1, 2)],
    "annotations": [
        {
            "id": k + 1,
            "image_id": image_id,
            "category_id": 1,
            "bbox": box,
            "area": box[2] * box[3],
            "iscrowd": 0,
        }
        for k, (image_id, box) in enumerate(BOXES)
    ],
    "categories": [{"id": 1, "name": "a"}],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": [5, 4, 20, 10], "score": 0.9},
    {"image_id": 2, "category_id": 1, "bbox": [10, 6, 28, 30], "score": 0.8},
    {"image_id": 2, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.7},
]


def _tuples(records: list[dict]) -> list[dict]:
    return [{**record, "bbox": tuple(record["bbox"])} for record in records]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
@pytest.mark.parametrize("where", ["gt", "detections", "both"])
def test_tuple_boxes_are_scored_as_lists(backend, where):
    reference = [float(v) for v in pycocotools_eval(GT, DETECTIONS).stats]
    gt, detections = copy.deepcopy(GT), copy.deepcopy(DETECTIONS)
    if where in ("gt", "both"):
        gt["annotations"] = _tuples(gt["annotations"])
    if where in ("detections", "both"):
        detections = _tuples(detections)
    given = copy.deepcopy((gt, detections))
    result = coco_evaluate(gt, detections, backend=backend)
    got = [result[key] for key in COCO_KEYS]
    if backend == "pycocotools":
        assert got == reference
    else:
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-15)
    assert (gt, detections) == given  # the caller's records keep their tuples
