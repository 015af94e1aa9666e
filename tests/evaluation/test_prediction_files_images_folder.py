"""``tools/eval.py --gt --pred --images FOLDER`` with a folder that holds none of the ground
truth's images (a wrong folder) is one error naming the folder and the first file looked for,
before anything is written; it was an evaluation with exit code 0, a warning per image and a
report without pictures. The line names the setting as the caller gave it: ``images_dir`` from
Python, ``--images`` from the tool. A folder that holds some of the images still works."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from tool_in_process import run_tool_here

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

GT = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.png", "width": 64, "height": 48},
    ],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 10], "area": 200,
         "iscrowd": 0},
        {"id": 2, "image_id": 2, "category_id": 1, "bbox": [10, 5, 30, 30], "area": 900,
         "iscrowd": 0},
    ],
    "categories": [{"id": 1, "name": "cat"}],
}  # fmt: skip


def _files(folder: Path) -> tuple[Path, Path]:
    gt, pred = folder / "gt.json", folder / "predictions.json"
    gt.write_text(json.dumps(GT))
    records = [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 10], "score": 0.9}]
    pred.write_text(json.dumps(records))
    return gt, pred


def test_a_folder_without_any_gt_image_is_refused(tmp_path):
    gt, pred = _files(tmp_path)
    (tmp_path / "other").mkdir()
    with pytest.raises(ValueError) as caught:
        evaluate_prediction_files(gt, pred, tmp_path / "out", images_dir=tmp_path / "other")
    assert str(caught.value) == (
        f"images folder {tmp_path / 'other'} holds none of the 2 images of {gt} (no "
        f"{tmp_path / 'other' / 'a.png'}); give the folder their images[].file_name are "
        "relative to (images_dir), or leave it out to list the worst images without pictures"
    )
    assert not (tmp_path / "out").exists()


def test_the_cli_prints_one_line(tmp_path, capsys):
    gt, pred = _files(tmp_path)
    (tmp_path / "other").mkdir()
    out = tmp_path / "out"
    args = ["--gt", gt, "--pred", pred, "--images", tmp_path / "other", "--out", out]
    code = run_tool_here("eval.py", *args)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"eval: error: images folder {tmp_path / 'other'} holds none of")
    assert line.endswith(
        "relative to (--images), or leave it out to list the worst images without pictures"
    )
    assert not out.exists()


def test_a_folder_with_some_of_the_images_works(tmp_path):
    gt, pred = _files(tmp_path)
    images = tmp_path / "images"
    images.mkdir()
    assert cv2.imwrite(str(images / "b.png"), np.zeros((48, 64, 3), np.uint8))
    evaluate_prediction_files(gt, pred, tmp_path / "out", images_dir=images)
    assert (tmp_path / "out" / "report.html").is_file()
