"""tools/infer.py expands a leading ``~`` in its paths: the shell leaves ``--out=~/x`` (and a
quoted ``"~/photos/*.png"``) as it is, and the outputs must land under the home folder, not in
a folder named ``~`` beside the working directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from tools import infer


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A home folder holding ``best.pt`` and ``a.png``; the working directory is elsewhere."""
    home = tmp_path / "home"
    home.mkdir()
    write_checkpoint(home / "best.pt", "configs/demo.yaml", DETECTOR)
    assert cv2.imwrite(str(home / "a.png"), np.full((32, 40, 3), 90, dtype=np.uint8))
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return home


def test_tilde_after_equals_and_in_quoted_inputs_is_expanded(home):
    args = infer.parse_args(["~/best.pt", "~/*.png", "rtsp://cam/1", "0", "--out=~/x"])
    assert args.checkpoint == home / "best.pt"
    assert args.out == home / "x"
    assert args.inputs == [str(home / "*.png"), "rtsp://cam/1", "0"]


def test_outputs_land_under_the_home_folder(home, tmp_path):
    assert infer.main(["~/best.pt", "~/*.png", "--out=~/x", "--device", "cpu"]) == 0
    assert (home / "x" / "a.png").is_file()
    assert (home / "x" / "predictions.json").is_file()
    assert not (tmp_path / "cwd" / "~").exists()
    shutil.rmtree(home / "x")
