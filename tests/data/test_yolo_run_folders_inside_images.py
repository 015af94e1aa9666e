"""A training run's work dir made inside a YOLO images folder is not listed with the images:
its curves.png would be read as an image without objects by the next run. One warning names
the run folders whose files are left out; a folder that only looks alike is listed."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.data import YoloTxtDetection
from detseg.data.run_folder_files import is_run_folder
from detseg.data.yolo import list_files


def _yolo(root: Path) -> Path:
    """``images/train/a.png`` (labelled) and ``classes.txt``; the images folder."""
    images = root / "images" / "train"
    images.mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    cv2.imwrite(str(images / "a.png"), np.zeros((20, 40, 3), np.uint8))
    (root / "labels" / "train" / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "classes.txt").write_text("cat\n")
    return images


def _run_folder(folder: Path, files: tuple[str, ...]) -> Path:
    """A folder with ``files`` (empty, as a run's files are read for their names here) and a
    ``curves.png`` drawn as a run draws it, and a ``tb/`` image."""
    (folder / "tb").mkdir(parents=True)
    for name in files:
        (folder / name).write_bytes(b"")
    cv2.imwrite(str(folder / "curves.png"), np.full((30, 30, 3), 255, np.uint8))
    cv2.imwrite(str(folder / "tb" / "sample.jpg"), np.full((30, 30, 3), 255, np.uint8))
    return folder


@pytest.mark.parametrize(
    "files", [("config.yaml", "metrics.jsonl"), ("last.pt",), ("config.yaml", "last.pt")]
)
def test_a_run_folder_inside_the_images_is_skipped_with_one_warning(tmp_path, caplog, files):
    images = _yolo(tmp_path / "yolo")
    _run_folder(images / "runs" / "demo", files)
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        dataset = YoloTxtDetection(images, classes=tmp_path / "yolo" / "classes.txt")
    assert dataset.files == [images / "a.png"]
    said = [r.getMessage() for r in caplog.records if "run folder" in r.getMessage()]
    assert said == [
        f"{images}: skipping 2 file(s) in the training run folder(s) inside it: runs/demo (each "
        "holds a detseg-train work dir's config.yaml and metrics.jsonl, or a last.pt): a run's "
        "outputs are not data; keep work dirs outside the dataset folder"
    ]


def test_folders_that_are_not_run_folders_are_listed(tmp_path, caplog):
    images = _yolo(tmp_path / "yolo")
    _run_folder(images / "night", ("config.yaml",))  # no metrics.jsonl, no last.pt
    assert not is_run_folder(images / "night")
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        files = list_files(images, (".png", ".jpg"))
    assert files == [
        images / "a.png",
        images / "night" / "curves.png",
        images / "night/tb/sample.jpg",
    ]
    assert "run folder" not in caplog.text


def test_a_run_folder_without_listed_files_is_skipped_quietly(tmp_path, caplog):
    """The labels folder is listed for .txt files: a run folder there holds none to warn of."""
    images = _yolo(tmp_path / "yolo")
    _run_folder(images / "run", ("last.pt",))
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        assert list_files(images, (".txt",)) == []
    assert caplog.text == ""
