"""Ground-truth annotation ids that are not integers from 1 to ``2**63 - 1``: faster-coco-eval
counts a match only for an id > 0 (a signed 64-bit integer), pycocotools for any non-zero id,
and both fail on a string id. Such ids are renumbered 1..N with one warning; a whole float id
(``3.0``, as pandas writes ids) is read as that integer without one. The numbers, with either
backend, are pycocotools' on the same ground truth with proper ids."""

from __future__ import annotations

import copy
import json
import logging

import numpy as np
import pytest
from pycocotools_reference import pycocotools_eval

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco import COCO_KEYS
from detseg.evaluation.coco_ground_truth import load_coco_gt

BOXES = [[10, 10, 30, 30], [20, 20, 40, 40]]
DETECTIONS = [
    {"image_id": k + 1, "category_id": 1, "bbox": box, "score": 0.9 - 0.1 * k}
    for k, box in enumerate(BOXES)
]


def _gt(first_id: object) -> dict:
    """Two images with one box each; the first box's id is ``first_id``, the second's 2."""
    return {
        "images": [{"id": k, "width": 100, "height": 100} for k in (1, 2)],
        "annotations": [
            {
                "id": ann_id,
                "image_id": k + 1,
                "category_id": 1,
                "bbox": box,
                "area": box[2] * box[3],
                "iscrowd": 0,
            }
            for k, (ann_id, box) in enumerate(zip([first_id, 2], BOXES, strict=True))
        ],
        "categories": [{"id": 1, "name": "a"}],
    }


def _reference() -> list[float]:
    return [float(v) for v in pycocotools_eval(_gt(1), DETECTIONS).stats]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
@pytest.mark.parametrize("bad_id", [-1, 2**63, "x", True, 1.5, None])
def test_ids_not_positive_integers_are_renumbered(backend, bad_id, caplog):
    reference = _reference()
    assert reference[0] == pytest.approx(1.0)  # both boxes found
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_ground_truth"):
        result = coco_evaluate(_gt(bad_id), copy.deepcopy(DETECTIONS), backend=backend)
    got = [result[key] for key in COCO_KEYS]
    if backend == "pycocotools":
        assert got == reference
    else:
        np.testing.assert_allclose(got, reference, rtol=0, atol=1e-15)
    (warning,) = [r.getMessage() for r in caplog.records]
    problem = "without an id" if bad_id is None else "of id not a positive integer"
    assert warning.startswith(f"the ground truth: annotations 1 {problem}")
    assert "numbered 1..2 instead" in warning


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
@pytest.mark.parametrize("whole", [3.0, np.int64(3), np.float32(3.0)])
def test_a_whole_float_id_is_that_integer_without_a_warning(backend, whole, caplog):
    with caplog.at_level(logging.WARNING):
        result = coco_evaluate(_gt(whole), copy.deepcopy(DETECTIONS), backend=backend)
        loaded = load_coco_gt(_gt(whole))
    assert caplog.records == []
    assert [a["id"] for a in loaded["annotations"]] == [3, 2]
    assert all(type(a["id"]) is int for a in loaded["annotations"])
    got = [result[key] for key in COCO_KEYS]
    np.testing.assert_allclose(got, _reference(), rtol=0, atol=1e-15)


def test_a_whole_float_repeating_an_int_id_is_a_repeat(caplog):
    with caplog.at_level(logging.WARNING):
        loaded = load_coco_gt(_gt(2.0))
    assert [a["id"] for a in loaded["annotations"]] == [1, 2]
    assert "1 repeating an earlier annotation's id" in caplog.text


@pytest.mark.parametrize("bad_id", ["x", -1, 2.5])
def test_the_eval_tool_scores_a_gt_with_such_ids_with_one_warning(tmp_path, run_tool, bad_id):
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(_gt(bad_id)))
    pred.write_text(json.dumps(DETECTIONS))
    out = tmp_path / "out"
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", out)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    warnings = [line for line in result.stderr.splitlines() if "not a positive integer" in line]
    assert len(warnings) == 1 and "numbered 1..2 instead" in warnings[0]
    metrics = json.loads((out / "metrics.json").read_text())
    assert [metrics[key] for key in COCO_KEYS] == pytest.approx(_reference(), abs=1e-15)
