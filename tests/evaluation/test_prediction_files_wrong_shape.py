"""Json files of the wrong shape given to ``tools/eval.py --gt/--pred``: one line that names
the expected format (and asks whether ``--gt`` and ``--pred`` are swapped where the file looks
like the other one), exit code 2, no traceback."""

from __future__ import annotations

import json

import pytest

GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 3,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        }
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
RECORDS = [{"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}]
FORMAT = 'a list of detection records [{"image_id", "category_id", "bbox", "score"}, ...]'
SWAPPED = "are the ground truth and the predictions swapped (--gt and --pred)?"


def _run(tmp_path, run_tool, gt: object, predictions: object) -> tuple[str, str, str]:
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(predictions))
    result = run_tool("eval.py", "--gt", gt_path, "--pred", pred_path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(lines) == 1, result.stderr
    return lines[0], str(gt_path), str(pred_path)


@pytest.mark.parametrize(
    ("predictions", "keys"),
    [
        (GT, "'images' and 'annotations'"),
        ({"annotations": RECORDS}, "'annotations'"),
        ({"detections": RECORDS}, None),
    ],
)
def test_predictions_holding_an_object(tmp_path, run_tool, predictions, keys):
    line, _, pred = _run(tmp_path, run_tool, GT, predictions)
    assert f"predictions {pred} holds a json object, not a list: expected the COCO results " in line
    assert FORMAT in line
    if keys is None:
        assert "swapped" not in line
    else:
        assert line.endswith(f"; it has {keys}, as a COCO ground truth has: {SWAPPED}")


def test_ground_truth_holding_a_list(tmp_path, run_tool):
    line, gt, _ = _run(tmp_path, run_tool, RECORDS, RECORDS)
    assert line.endswith(
        f"ground truth {gt} holds a json list, not an object: expected a COCO ground truth "
        '{"images": [...], "annotations": [...], "categories": [...]}; a list is what a '
        f"predictions file holds: {SWAPPED}"
    )


def test_a_detection_that_is_a_list(tmp_path, run_tool):
    line, _, pred = _run(tmp_path, run_tool, GT, [[1, 3, 4, 4, 20, 10, 0.9]])
    assert line.endswith(
        f"{pred}: detection 0 is not an object: [1, 3, 4, 4, 20, 10, 0.9]; expected a record "
        'with the keys "image_id", "category_id", "bbox" ([x, y, w, h]) and "score", such as '
        '{"image_id": 1, "category_id": 3, "bbox": [10, 20, 30, 40], "score": 0.9}'
    )
