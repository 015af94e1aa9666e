"""Ground-truth annotation ids that would mislead pycocotools and faster-coco-eval (id 0,
repeated ids, no id) are renumbered 1..N for the evaluation, with one warning naming the file;
the numbers are those of the same ground truth with proper ids."""

from __future__ import annotations

import copy
import logging

import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_ground_truth import load_coco_gt

BOXES = [[4, 4, 20, 20], [30, 10, 16, 24], [10, 30, 12, 12]]


def _gt(ids: list) -> dict:
    annotations = []
    for ann_id, bbox in zip(ids, BOXES, strict=True):
        ann = {"image_id": 1, "category_id": 1, "bbox": bbox, "area": bbox[2] * bbox[3]}
        ann["iscrowd"] = 0
        if ann_id is not None:
            ann["id"] = ann_id
        annotations.append(ann)
    return {
        "images": [{"id": 1, "width": 64, "height": 48}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}],
    }


DETECTIONS = [
    {"image_id": 1, "category_id": 1, "bbox": bbox, "score": 0.9 - 0.1 * i}
    for i, bbox in enumerate(BOXES)
]


@pytest.mark.parametrize("backend", ["pycocotools", "faster"])
@pytest.mark.parametrize(
    ("ids", "problem"),
    [
        ([0, 1, 2], "1 of id 0 (the libraries' mark for 'no match');"),
        ([5, 5, 6], "1 repeating an earlier annotation's id;"),
        ([None, 1, 2], "1 without an id;"),
    ],
)
def test_misleading_annotation_ids_are_renumbered(backend, ids, problem, caplog):
    proper = coco_evaluate(_gt([1, 2, 3]), copy.deepcopy(DETECTIONS), backend=backend)
    assert proper["AP"] == pytest.approx(1.0)  # every box found, best scores first
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_ground_truth"):
        renumbered = coco_evaluate(_gt(ids), copy.deepcopy(DETECTIONS), backend=backend)
    assert renumbered == proper
    (warning,) = [r.getMessage() for r in caplog.records]
    assert warning.startswith(f"the ground truth: annotations {problem}")
    assert "numbered 1..3 instead" in warning


def test_proper_ids_are_kept_and_the_callers_dict_is_not_changed(caplog):
    gt = _gt([0, 7, 7])
    with caplog.at_level(logging.WARNING):
        assert [a["id"] for a in load_coco_gt(gt)["annotations"]] == [1, 2, 3]
    assert [a["id"] for a in gt["annotations"]] == [0, 7, 7]
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        assert [a["id"] for a in load_coco_gt(_gt([9, 3, 4]))["annotations"]] == [9, 3, 4]
    assert caplog.records == []
