"""``evaluate_prediction_files`` refuses an input file that its report would replace (predictions
saved as ``OUT/metrics.json``), before anything is written: the file stays as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "iscrowd": 0}
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
RECORDS = [{"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}]


@pytest.mark.parametrize("name", ["metrics.json", "report.html"])
def test_predictions_named_as_a_report_file_are_refused(tmp_path: Path, name: str) -> None:
    (tmp_path / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    predictions = tmp_path / name
    predictions.write_text(json.dumps(RECORDS), encoding="utf-8")
    with pytest.raises(ValueError, match=f"predictions file .*{name} would be replaced"):
        evaluate_prediction_files(tmp_path / "gt.json", predictions, out=tmp_path, worst_k=0)
    assert json.loads(predictions.read_text(encoding="utf-8")) == RECORDS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gt.json", name]


def test_the_ground_truth_in_the_output_folder_is_refused(tmp_path: Path) -> None:
    gt = tmp_path / "eval" / "metrics.json"
    gt.parent.mkdir()
    gt.write_text(json.dumps(GT), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps(RECORDS), encoding="utf-8")
    with pytest.raises(ValueError, match="ground truth file .*metrics.json would be replaced"):
        evaluate_prediction_files(gt, tmp_path / "pred.json", out=gt.parent, worst_k=0)
    assert json.loads(gt.read_text(encoding="utf-8")) == GT
