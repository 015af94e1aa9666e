"""``predict_checkpoint``'s inputs may be one path (a ``str`` or a ``Path``: one input, not a
sequence of one-character inputs that sends the search through ``/``) or a list of strings
and ``Path`` objects."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.predict_images import predict_checkpoint


@pytest.fixture
def photos(tmp_path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        cv2.imwrite(str(folder / name), np.full((40, 48, 3), 90, np.uint8))
    return folder


@pytest.mark.parametrize("form", [str, Path])
def test_one_path_is_one_input(detector_checkpoint, photos, tmp_path, form):
    run = predict_checkpoint(detector_checkpoint, form(photos), tmp_path / "out", device="cpu")
    assert run.images == 2 and run.failed == [] and run.errors == []


def test_a_list_may_hold_paths(detector_checkpoint, photos, tmp_path):
    missing = tmp_path / "missing.png"
    inputs = [photos / "a.png", str(photos / "b.png"), missing]
    run = predict_checkpoint(detector_checkpoint, inputs, tmp_path / "out", device="cpu")
    assert run.images == 2 and run.failed == [str(missing)] and str(missing) in run.errors[0]
