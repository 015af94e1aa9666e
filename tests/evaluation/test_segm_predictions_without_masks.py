"""``--iou-type segm`` on the predictions of a box-only model (no ``segmentation`` in the
records) is refused by one line naming the file and record and both ways out: predictions with
masks, or the box evaluation without ``--iou-type segm``."""

from __future__ import annotations

import json

import pytest

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [{"id": 1, "file_name": "a.png", "height": 32, "width": 32}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [2, 2, 10, 10],
            "area": 100,
            "iscrowd": 0,
            "segmentation": [[2, 2, 12, 2, 12, 12, 2, 12]],
        }
    ],
    "categories": [{"id": 1, "name": "circle"}],
}
BOX_RECORD = {"image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "score": 0.9}


def test_box_records_scored_as_masks_say_what_to_do(tmp_path):
    gt, pred = tmp_path / "gt.json", tmp_path / "boxes.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps([BOX_RECORD]))
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt, pred, out=tmp_path / "out", iou_type="segm")
    message = str(caught.value)
    assert message.startswith(f"{pred}: detection 0 has no 'segmentation'")
    assert "\n" not in message
    assert "; iou_type='segm' scores masks: " in message  # named as the caller gave it
    assert "leave out iou_type='segm' to score the boxes" in message
    assert "predictions.json of inference" in message  # it carries masks too
    # the boxes alone are scored
    summary = evaluate_prediction_files(gt, pred, out=tmp_path / "out", worst_k=0)
    assert summary.metrics["AP"] == pytest.approx(1.0)
