"""infer.py predicts on a JPEG as displayed; a COCO gt entry stating the stored size of a photo
tagged with EXIF orientation 6 is read on the stored pixels: one warning names the photo."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.prediction_orientation import stored_frame_image, warn_about_display_frame


def _photo(folder, orientation=6):
    """A 32 x 64 (H x W) JPEG ``a.jpg`` tagged with EXIF ``orientation``."""
    folder.mkdir()
    photo = Image.fromarray(np.zeros((32, 64, 3), dtype=np.uint8))
    exif = photo.getexif()
    exif[0x0112] = orientation
    photo.save(folder / "a.jpg", exif=exif.tobytes())
    return folder


def _files(tmp_path, stated, record):
    gt = {
        "images": [{"id": 7, "file_name": "a.jpg", "height": stated[0], "width": stated[1]}],
        "annotations": [],
        "categories": [{"id": 1, "name": "thing"}],
    }
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps([record]))
    return tmp_path / "gt.json", tmp_path / "pred.json"


def _read(path: Path) -> Any:
    return json.loads(path.read_text())


RECORD = {"file_name": "/photos/a.jpg", "category_id": 1, "bbox": [1, 1, 5, 5], "score": 0.9}


def test_a_gt_stating_the_stored_size_is_named_once(tmp_path, caplog):
    images = _photo(tmp_path / "images")
    gt, pred = _files(tmp_path, (32, 64), RECORD)
    with caplog.at_level(logging.WARNING):
        warn_about_display_frame(_read(gt), _read(pred), images, gt)
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.startswith(f"{images / 'a.jpg'} (gt image 7) has EXIF orientation 6:")
    assert "states its stored size 32x64" in message
    assert "detseg-eval CHECKPOINT (tools/eval.py)" in message
    assert "height and width swapped" in message


@pytest.mark.parametrize(
    ("orientation", "stated", "record", "found"),
    [
        (6, (64, 32), RECORD, False),  # the displayed size: read as displayed, as predicted
        (1, (32, 64), RECORD, False),  # no turn
        (3, (32, 64), RECORD, True),  # a half turn keeps the size: read as stored
        (6, (32, 64), {**RECORD, "file_name": "b.jpg"}, False),  # not a gt image
        (6, (32, 64), {k: v for k, v in RECORD.items() if k != "file_name"}, False),
    ],
)
def test_only_images_read_as_stored_under_infer_predictions(
    tmp_path, orientation, stated, record, found
):
    images = _photo(tmp_path / "images", orientation)
    gt, pred = _files(tmp_path, stated, {"image_id": 7, **record})
    gt_dict = json.loads(gt.read_text())
    assert (stored_frame_image(gt_dict, json.loads(pred.read_text()), images) is not None) == found


def test_evaluating_prediction_files_with_images_names_the_photo(tmp_path, caplog):
    images = _photo(tmp_path / "images")
    gt, pred = _files(tmp_path, (32, 64), RECORD)
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.prediction_orientation"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "eval", images_dir=images)
    messages = [r.getMessage() for r in caplog.records if "EXIF orientation 6" in r.getMessage()]
    assert len(messages) == 1 and str(gt) in messages[0]
