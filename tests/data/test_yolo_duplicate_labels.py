"""YOLO label files with repeated lines: each box kept once, the repeats dropped and counted."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from detseg.data import YoloTxtDetection


def _dataset(root: Path, labels: str) -> YoloTxtDetection:
    """One 20x40 image ``a.png`` with the label file text ``labels``; classes cat, dog."""
    images, label_dir = root / "images" / "train", root / "labels" / "train"
    images.mkdir(parents=True)
    label_dir.mkdir(parents=True)
    cv2.imwrite(str(images / "a.png"), np.zeros((20, 40, 3), np.uint8))
    (label_dir / "a.txt").write_text(labels)
    return YoloTxtDetection(images, classes=["cat", "dog"])


def test_repeated_lines_are_kept_once_and_counted(tmp_path, caplog):
    labels = (
        "0 0.5 0.5 0.5 0.5\n"
        "1 0.5 0.5 0.5 0.5\n"  # same box, other class: kept
        "0 0.50 0.5 0.5 0.500\n"  # the first line written otherwise
        "0 0.5 0.5 0.5 0.5\n"
    )
    dataset = _dataset(tmp_path, labels)
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        _, target = dataset[0]
    assert target["labels"].tolist() == [1, 2]
    assert target["boxes"].tolist() == [[10.0, 5.0, 30.0, 15.0]] * 2
    assert target["dropped_boxes"] == 2
    assert "a.txt: dropped 2 duplicate label line(s)" in caplog.text
    assert "line 3 repeats line 1, line 4 repeats line 1" in caplog.text


def test_a_segment_repeating_a_box_is_a_duplicate(tmp_path):
    """Ultralytics compares a segment by its extent, as the box it trains on."""
    labels = "0 0.25 0.25 0.75 0.25 0.75 0.75 0.25 0.75\n0 0.5 0.5 0.5 0.5\n"
    _, target = _dataset(tmp_path, labels)[0]
    assert len(target["boxes"]) == 1 and target["dropped_boxes"] == 1


def test_distinct_lines_give_no_warning(tmp_path, caplog):
    dataset = _dataset(tmp_path, "0 0.5 0.5 0.5 0.5\n0 0.5 0.5 0.5 0.25\n")
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        _, target = dataset[0]
    assert len(target["boxes"]) == 2 and target["dropped_boxes"] == 0
    assert "duplicate" not in caplog.text
