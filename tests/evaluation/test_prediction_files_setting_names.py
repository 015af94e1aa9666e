"""The errors of scoring a predictions file name its settings as the caller gave them:
``evaluate_prediction_files``' keywords from Python (``iou_type='segm'``, ``gt`` and
``predictions``), ``tools/eval.py``'s flags from the tool (``--iou-type segm``, ``--gt`` and
``--pred``), in the same words otherwise."""

from __future__ import annotations

import json

import pytest
from tool_in_process import run_tool_here

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [{"id": 1, "file_name": "a.png", "height": 32, "width": 32}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "area": 100,
         "iscrowd": 0, "segmentation": [[2, 2, 12, 2, 12, 12, 2, 12]]}
    ],
    "categories": [{"id": 1, "name": "circle"}],
}  # fmt: skip
BOX = {"category_id": 1, "bbox": [2, 2, 10, 10], "score": 0.9}


def _files(tmp_path, record):
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps([record]))
    return gt, pred


def _tool_line(capsys, *args) -> str:
    assert run_tool_here("eval.py", *args) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert "Traceback" not in "\n".join(lines)
    return lines[-1]


def test_masks_asked_of_box_records(tmp_path, capsys):
    gt, pred = _files(tmp_path, {**BOX, "image_id": 1})
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt, pred, tmp_path / "out", iou_type="segm")
    assert "; iou_type='segm' scores masks: " in str(caught.value)
    assert str(caught.value).endswith("or leave out iou_type='segm' to score the boxes")
    line = _tool_line(capsys, "--gt", gt, "--pred", pred, "--iou-type", "segm")
    assert "; --iou-type segm scores masks: " in line
    assert line.endswith("or leave out --iou-type segm to score the boxes")


def test_file_names_of_other_images(tmp_path, capsys):
    gt, pred = _files(tmp_path, {**BOX, "file_name": "x/other.png"})
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt, pred, tmp_path / "out")
    assert str(caught.value) == (
        "no prediction file_name (e.g. 'x/other.png') ends with a gt images[].file_name "
        "(e.g. ['a.png']); are gt and predictions about the same images?"
    )
    line = _tool_line(capsys, "--gt", gt, "--pred", pred)
    assert line.endswith("(e.g. ['a.png']); are --gt and --pred about the same images?")
