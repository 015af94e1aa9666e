"""YoloTxtDetection and label files that belong to no image: listed and reported once."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from detseg.convert.datasets import read_dataset
from detseg.data import YoloTxtDetection
from detseg.dataset_check import check_dataset


def _yolo(root: Path) -> Path:
    """``a.png`` with ``a.txt``; ``b.png`` whose labels are ``b.TXT``; ``c.txt`` of no image."""
    images, labels = root / "images" / "train", root / "labels" / "train"
    images.mkdir(parents=True)
    labels.mkdir(parents=True)
    for stem in ("a", "b"):
        cv2.imwrite(str(images / f"{stem}.png"), np.zeros((24, 32, 3), np.uint8))
    for name in ("a.txt", "b.TXT", "c.txt"):
        (labels / name).write_text("0 0.5 0.5 0.25 0.25\n")
    (root / "classes.txt").write_text("cat\n")
    return root


def test_unmatched_label_files_are_listed_and_logged(tmp_path, caplog):
    root = _yolo(tmp_path / "yolo")
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    labels = root / "labels" / "train"
    assert dataset.unmatched_label_files == [labels / "b.TXT", labels / "c.txt"]
    assert "2 label file(s) match no image" in caplog.text
    assert "b.TXT, c.txt" in caplog.text
    assert len(dataset[0][1]["boxes"]) == 1 and len(dataset[1][1]["boxes"]) == 0


def test_matched_label_files_give_no_warning(tmp_path, caplog):
    root = _yolo(tmp_path / "yolo")
    (root / "labels" / "train" / "b.TXT").rename(root / "labels" / "train" / "b.txt")
    (root / "labels" / "train" / "c.txt").unlink()
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    assert dataset.unmatched_label_files == []
    assert "match no image" not in caplog.text


def test_check_warns_about_unmatched_label_files(tmp_path):
    root = _yolo(tmp_path / "yolo")
    data = {"format": "yolo", "root": str(root), "val_images": "images/train"}
    check = check_dataset(data, ("train",))
    found = [f for f in check.findings if f.code == "unmatched_label_files"]
    assert len(found) == 1, [f.code for f in check.findings]
    assert found[0].severity == "warning" and found[0].count == 2
    assert found[0].files == ["labels/train/b.TXT", "labels/train/c.txt"]
    assert check.splits["train"]["unmatched_label_files"] == 2


def test_conversion_names_unmatched_label_files(tmp_path, caplog):
    root = _yolo(tmp_path / "yolo")
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        record = read_dataset(root, "yolo")
    assert [len(image.objects) for image in record.splits[0].images] == [1, 0]
    assert "2 label file(s) match no image" in caplog.text
