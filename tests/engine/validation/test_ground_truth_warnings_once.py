"""The warnings about a ground truth (polygon parts of fewer than 3 points, annotation ids the
libraries misread) are said once per process: a training run evaluates the same val ground
truth at every validation, and both its box and its mask evaluation read it."""

from __future__ import annotations

import copy
import logging

import pytest

import detseg.evaluation.coco_ground_truth as coco_ground_truth
from detseg.engine.validation import detection_metrics

SQUARE = [5.0, 3.0, 30.0, 3.0, 30.0, 25.0, 5.0, 25.0]


def _gt(short_part: list[float]) -> dict:
    """One 40x50 image, one square annotation of id 0 with a short polygon part."""
    return {
        "images": [{"id": 1, "height": 40, "width": 50}],
        "categories": [{"id": 1, "name": "box"}],
        "annotations": [
            {
                "id": 0,
                "image_id": 1,
                "category_id": 1,
                "bbox": [5.0, 3.0, 25.0, 22.0],
                "area": 550.0,
                "iscrowd": 0,
                "segmentation": [short_part, SQUARE],
            }
        ],
    }


RESULTS = [
    {
        "image_id": 1,
        "category_id": 1,
        "score": 0.9,
        "bbox": [5.0, 3.0, 25.0, 22.0],
        "segmentation": [SQUARE],
    }
]


@pytest.fixture(autouse=True)
def _nothing_said_yet(monkeypatch):
    monkeypatch.setattr(coco_ground_truth, "_WARNED", set())


def _warnings(caplog, gt: dict) -> list[str]:
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_ground_truth"):
        metrics = detection_metrics(copy.deepcopy(gt), copy.deepcopy(RESULTS), masks=True)
    assert metrics["segm_AP"] == pytest.approx(1.0)
    return [r.getMessage() for r in caplog.records]


def test_each_ground_truth_warning_is_said_once_over_validations(caplog):
    first = _warnings(caplog, _gt([1.0, 1.0, 2.0, 2.0]))
    assert len(first) == 2
    assert sum("numbered 1..1 instead" in w for w in first) == 1
    assert sum("fewer than 3 points" in w for w in first) == 1
    assert _warnings(caplog, _gt([1.0, 1.0, 2.0, 2.0])) == []  # the next validation
    # another ground truth's problem is still said
    other = _gt([1.0, 1.0, 2.0, 2.0])
    other["annotations"][0]["id"] = 5
    (warning,) = _warnings(caplog, other)
    assert "(ids 5) have polygon parts of fewer than 3 points" in warning
