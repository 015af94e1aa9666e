"""The Python API expands a leading ``~`` in the paths it takes (``detseg.load``, image paths
given to ``predict``, ``stream``'s video, ``result.save``), as ``open`` in a notebook does not:
a ``"~/runs/x/best.pt"`` is found, and ``result.save("~/out.png")`` writes under the home folder,
never into a folder named ``~`` beside the working directory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import detseg


@pytest.fixture
def home(tmp_path, monkeypatch, detector_checkpoint, image_file, video) -> Path:
    """A home folder holding the checkpoint, an image and a video; the working directory is
    elsewhere."""
    home = tmp_path / "home"
    home.mkdir()
    for source in (detector_checkpoint, image_file, video):
        shutil.copy(source, home / source.name)
    monkeypatch.setenv("HOME", str(home))
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return home


def test_load_takes_a_home_path(home):
    assert detseg.load("~/best.pt", device="cpu").task == "detection"


def test_predict_takes_home_paths(home):
    predictor = detseg.load(home / "best.pt", device="cpu")
    assert predictor.predict("~/two_boxes.png").path == home / "two_boxes.png"
    [listed] = predictor.predict(["~/two_boxes.png"])
    assert listed.path == home / "two_boxes.png"


def test_save_writes_under_the_home_folder(home, tmp_path):
    result = detseg.load(home / "best.pt", device="cpu").predict(home / "two_boxes.png")
    result.save("~/drawn.png")
    assert (home / "drawn.png").is_file()
    assert not (tmp_path / "cwd" / "~").exists()


def test_stream_takes_a_home_path(home):
    predictor = detseg.load(home / "best.pt", device="cpu")
    frames = list(predictor.stream("~/clip.mp4", max_frames=2))
    assert [result.frame for result in frames] == [0, 1]
