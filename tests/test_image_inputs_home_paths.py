"""Inputs under the home folder (``~/photos``, ``~/photos/a.png``, ``~/photos/*.png``), as
``Predictor.predict`` takes them, for ``predict_checkpoint`` too (``tools/infer.py`` expands
them before); :func:`pattern_files` gives a pattern's files whatever their suffix."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.image_inputs import expand_inputs, pattern_files
from detseg.prediction_inputs import missing_input_message


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """A home folder holding ``photos/a.png`` and an empty ``empty``; the working directory is
    elsewhere."""
    home = tmp_path / "home"
    (home / "photos").mkdir(parents=True)
    (home / "empty").mkdir()
    assert cv2.imwrite(str(home / "photos" / "a.png"), np.zeros((4, 6, 3), np.uint8))
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return home


def test_folders_files_and_patterns_under_the_home_folder_are_found(home):
    paths, missing = expand_inputs(["~/photos", "~/photos/a.png", "~/photos/*.png", "~/empty"])
    assert paths == [home / "photos" / "a.png"] * 3
    assert missing == ["~/empty"]


def test_an_empty_home_folder_is_said_to_be_a_folder(home):
    assert missing_input_message("~/empty").startswith("no image in folder ~/empty ")


def test_pattern_files_gives_every_file_sorted_without_folders(tmp_path):
    folder = tmp_path / "shots [1]"
    (folder / "sub [2]").mkdir(parents=True)
    for name in ("b.png", "a.txt", "sub [2]/c.mp4"):
        (folder / name).write_bytes(b"x")
    assert pattern_files(str(folder / "**" / "*")) == [
        folder / "a.txt",
        folder / "b.png",
        folder / "sub [2]" / "c.mp4",
    ]
    assert pattern_files(str(folder / "*.jpg")) == []
