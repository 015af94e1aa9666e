"""Ground-truth boxes no model detection can match (no width or height, or wholly outside their
image) count as misses, as pycocotools counts them; the evaluation says so in one warning
naming their annotation ids, and leaves the numbers equal to pycocotools'."""

from __future__ import annotations

import copy
import logging

import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco import COCO_KEYS
from detseg.evaluation.coco_ground_truth import load_coco_gt, unmatchable_box_ids
from tests.pycocotools_reference import pycocotools_eval

GOOD = [[4, 4, 20, 20], [30, 10, 16, 24]]


def _gt(extra: list[dict]) -> dict:
    annotations = [
        {"id": i, "image_id": 1, "category_id": 1, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
        for i, b in enumerate(GOOD, start=1)
    ]
    return {
        "images": [{"id": 1, "width": 64, "height": 48, "file_name": "a.png"}],
        "annotations": annotations + extra,
        "categories": [{"id": 1, "name": "a"}],
    }


def _ann(ann_id: int, bbox: list[float], iscrowd: int = 0) -> dict:
    return {
        "id": ann_id,
        "image_id": 1,
        "category_id": 1,
        "bbox": bbox,
        "area": 10.0,
        "iscrowd": iscrowd,
    }


DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": b, "score": 0.9 - 0.1 * i} for i, b in enumerate(GOOD)
]


@pytest.mark.parametrize(
    ("bbox", "unmatchable"),
    [
        ([10, 10, 0, 5], True),  # no width
        ([10, 10, 5, -1], True),  # negative height
        ([64, 10, 5, 5], True),  # starts at the right edge
        ([10, 48, 5, 5], True),  # starts at the bottom edge
        ([-6, 10, 6, 5], True),  # ends at the left edge
        ([60, 44, 10, 10], False),  # reaches out, but overlaps the image
        ([0.2, 0.2, 0.5, 0.5], False),  # tiny but real
    ],
)
def test_unmatchable_boxes_are_found(bbox, unmatchable):
    gt = _gt([_ann(9, bbox)])
    assert unmatchable_box_ids(gt) == ([9] if unmatchable else [])


def test_crowd_boxes_and_images_without_size_are_not_flagged():
    gt = _gt([_ann(9, [10, 10, 0, 5], iscrowd=1), _ann(10, [100, 100, 5, 5])])
    del gt["images"][0]["width"]
    assert unmatchable_box_ids(gt) == []  # crowd: no miss; 10: the image size is unknown


@pytest.mark.parametrize("backend", ["pycocotools", "faster"])
def test_one_warning_names_them_and_numbers_stay_pycocotools(backend, caplog):
    gt = _gt([_ann(7, [10, 10, 0, 5]), _ann(8, [70, 10, 5, 5])])
    with caplog.at_level(logging.WARNING):
        stats = coco_evaluate(copy.deepcopy(gt), copy.deepcopy(DETECTIONS), backend=backend)
        load_coco_gt(copy.deepcopy(gt))  # the same ground truth again: said once
    warnings = [
        r.getMessage()
        for r in caplog.records
        if "no detection clipped to the image" in r.getMessage()
    ]
    assert len(warnings) == 1
    assert "2 ground-truth box(es) (annotation ids 7, 8)" in warnings[0]
    assert "detseg-check-data" in warnings[0]
    reference = dict(zip(COCO_KEYS, pycocotools_eval(gt, DETECTIONS).stats, strict=True))
    assert stats["AR100"] == pytest.approx(0.5)  # 2 of the 4 boxes found
    assert [stats[k] for k in COCO_KEYS] == pytest.approx([reference[k] for k in COCO_KEYS], abs=0)


def test_proper_ground_truth_gives_no_warning(caplog):
    with caplog.at_level(logging.WARNING):
        load_coco_gt(_gt([]))
    assert not [r for r in caplog.records if "no detection clipped to the image" in r.getMessage()]
