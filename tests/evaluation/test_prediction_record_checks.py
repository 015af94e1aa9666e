"""The ``--gt/--pred`` evaluation names the predictions file, the detection's position and the
exact problem of a bad record; detections of categories the gt lacks are ignored (as COCOeval
does: the numbers do not change) with one warning naming their ids."""

from __future__ import annotations

import json
import logging

import pytest

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [{"id": 1, "width": 64, "height": 64}, {"id": 2, "width": 64, "height": 64}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 3,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        },
        {
            "id": 2,
            "image_id": 2,
            "category_id": 3,
            "bbox": [10, 5, 30, 30],
            "area": 900,
            "iscrowd": 0,
        },
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
GOOD = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}


def _files(tmp_path, records):
    gt, pred = tmp_path / "gt.json", tmp_path / "preds.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(records))
    return gt, pred


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bbox": [1, 1, -5, 5]}, r"detection 1 has bbox \[1, 1, -5, 5\] of negative size"),
        ({"bbox": [1, 1, 5, float("nan")]}, r"detection 1 has bbox .*expected \[x, y, w, h\]"),
        ({"image_id": 9}, r"detection 1 has image_id 9, which is not an image of the ground"),
        ({"image_id": None}, r"detection 1 lacks 'image_id'"),
        ({"score": None}, r"detection 1 lacks 'score';"),
        ({"category_id": None, "bbox": None}, r"detection 1 lacks 'category_id' and 'bbox';"),
    ],
)
def test_a_bad_record_is_named(tmp_path, change, message):
    bad = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    gt, pred = _files(tmp_path, [GOOD, bad])
    with pytest.raises(ValueError, match=message) as info:
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")
    assert str(info.value).startswith(f"{pred}: detection 1 ")


def test_segm_names_the_missing_segmentation(tmp_path):
    gt, pred = _files(tmp_path, [GOOD])
    with pytest.raises(ValueError, match=r"preds.json: detection 0 has no 'segmentation'"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "out", iou_type="segm")


def test_unknown_categories_are_ignored_with_their_ids_named(tmp_path, caplog):
    gt, pred = _files(tmp_path, [GOOD])
    base = evaluate_prediction_files(gt, pred, out=tmp_path / "base", worst_k=0)
    records = [GOOD, {**GOOD, "category_id": 77}, {**GOOD, "image_id": 2, "category_id": "circle"}]
    gt, pred = _files(tmp_path, records)
    with caplog.at_level(logging.WARNING):
        summary = evaluate_prediction_files(gt, pred, out=tmp_path / "out", worst_k=0)
    assert f"{pred}: 2 detection(s) have a category_id absent from the gt" in caplog.text
    assert "category_id 77: 1" in caplog.text and "category_id 'circle': 1" in caplog.text
    assert "first: detection 1" in caplog.text
    assert summary.metrics["AP"] == base.metrics["AP"]


def test_the_eval_tool_says_it_in_one_line(tmp_path, run_tool):
    gt, pred = _files(tmp_path, [GOOD, {**GOOD, "bbox": [1, 1, -5, 5]}])
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "preds.json: detection 1 has bbox [1, 1, -5, 5] of negative size" in result.stderr
