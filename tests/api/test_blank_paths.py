"""A blank string (``""``, ``" "``) is no path: ``Path("")`` is the current folder, whose images
``predict``, ``stream`` and ``predict_checkpoint`` (``tools/infer.py``) would otherwise read.
Each refuses it with one line naming it."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest

import detseg
from detseg.api import Predictor
from detseg.image_inputs import expand_inputs
from detseg.predict_images import predict_checkpoint
from detseg.prediction_inputs import split_inputs

BLANKS = ["", " ", "\t"]


@pytest.fixture(scope="module")
def detector(detector_checkpoint) -> Predictor:
    return detseg.load(detector_checkpoint, device="cpu")


@pytest.fixture
def in_photos(tmp_path, monkeypatch) -> Path:
    """The working folder holds an image, which a blank path must not read."""
    assert cv2.imwrite(str(tmp_path / "a.png"), np.full((32, 40, 3), 90, np.uint8))
    monkeypatch.chdir(tmp_path)
    return tmp_path / "a.png"


@pytest.mark.parametrize("blank", BLANKS)
def test_predict_refuses_a_blank_path(detector, in_photos, blank):
    expected = f"an empty path {blank!r}; give an image file, a folder or a glob pattern"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        detector.predict(blank)
    in_list = f"item 1 of the input list: {expected}"
    with pytest.raises(ValueError, match=f"^{re.escape(in_list)}$"):
        detector.predict([in_photos, blank])


@pytest.mark.parametrize("blank", BLANKS)
def test_stream_refuses_a_blank_path_at_the_call(detector, in_photos, blank):
    expected = f"an empty path {blank!r}; give an image or video file, a folder or a glob pattern"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        detector.stream(blank)
    with pytest.raises(ValueError, match=f"^item 1 of the input list: {re.escape(expected)}$"):
        detector.stream([in_photos, blank])


@pytest.mark.parametrize("blank", BLANKS)
def test_the_infer_inputs_take_a_blank_path_for_a_missing_one(in_photos, tmp_path, blank):
    assert expand_inputs([blank, str(in_photos)]) == ([in_photos], [blank])
    assert split_inputs([blank]) == ([], [], [blank])


def test_predict_checkpoint_reports_a_blank_path(detector_checkpoint, in_photos, tmp_path):
    run = predict_checkpoint(
        detector_checkpoint, ["", str(in_photos)], tmp_path / "out", device="cpu"
    )
    assert run.images == 1 and run.failed == [""]
    assert run.errors == [
        "an empty path ''; give an image or video file, a folder or a glob pattern"
    ]
