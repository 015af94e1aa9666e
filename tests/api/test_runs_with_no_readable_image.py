"""A run of ``predict_checkpoint`` (``tools/infer.py``) in which no image could be read (a
mistyped path, an unreadable file) writes no image outputs: the ``predictions.json`` of an
earlier run in that folder is kept, not replaced by an empty list, and the summary claims no
"0 images" result; the errors say what went wrong."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detseg.predict_images import predict_checkpoint


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "photos" / "a.png"
    path.parent.mkdir()
    cv2.imwrite(str(path), np.full((48, 64, 3), 90, np.uint8))
    return path


@pytest.mark.parametrize("bad", ["missing", "broken.png"])
def test_an_earlier_run_s_predictions_are_kept(detector_checkpoint, photo, tmp_path, bad):
    out = tmp_path / "out"
    first = predict_checkpoint(detector_checkpoint, [str(photo)], out, device="cpu")
    before = (out / "predictions.json").read_text()
    assert first.detections and json.loads(before)
    (tmp_path / "broken.png").write_bytes(b"no image")
    errors: list[str] = []
    run = predict_checkpoint(
        detector_checkpoint, [str(tmp_path / bad)], out, device="cpu", on_error=errors.append
    )
    assert run.failed == [str(tmp_path / bad)] and len(errors) == 1
    assert (out / "predictions.json").read_text() == before
    assert not run.wrote_images and run.summary() == ""


def test_images_without_detections_still_write_an_empty_list(detector_checkpoint, photo, tmp_path):
    out = tmp_path / "out"
    run = predict_checkpoint(detector_checkpoint, [str(photo)], out, "cpu", score_threshold=1.0)
    assert run.images == 1 and run.wrote_images
    assert json.loads((out / "predictions.json").read_text()) == []
    assert run.summary().startswith("1 image, 0 detections")
