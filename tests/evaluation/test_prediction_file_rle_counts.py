"""A predictions file scored with ``--iou-type segm`` whose record has an uncompressed RLE
(``counts`` a list) that does not cover its ``size``: the one-line error names the predictions
file as well as the record, as every other bad record of the file is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

SIZE = [40, 50]
SQUARE = [[10.0, 10.0, 20.0, 10.0, 20.0, 20.0, 10.0, 20.0]]


def _files(tmp_path: Path, counts: list[int]) -> tuple[Path, Path]:
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "height": 40, "width": 50}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10, 10, 10, 10],
                "area": 100,
                "iscrowd": 0,
                "segmentation": SQUARE,
            }
        ],
    }
    record = {
        "image_id": 1,
        "category_id": 1,
        "score": 0.9,
        "segmentation": {"size": SIZE, "counts": counts},
    }
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "preds.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps([record]))
    return gt_path, pred_path


def test_short_rle_runs_name_the_predictions_file(tmp_path: Path):
    gt, preds = _files(tmp_path, [410, 20, 1500])  # 1930 of 2000 pixels
    with pytest.raises(ValueError) as error:
        evaluate_prediction_files(gt, preds, tmp_path / "eval", iou_type="segm")
    message = str(error.value)
    assert message.startswith(f"{preds}: detection 0 (image 1)")
    assert "add up to 1930" in message and "\n" not in message
