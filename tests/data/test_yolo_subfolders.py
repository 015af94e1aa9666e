"""YoloTxtDetection lists images in subfolders of the images folder, as Ultralytics does, and
reads each image's labels at the same path under the labels folder."""

from __future__ import annotations

import logging
from pathlib import Path

import cv2
import numpy as np

from detseg.data import YoloTxtDetection
from detseg.dataset_check import check_dataset, load_data_section


def _yolo(root: Path) -> Path:
    """``images/train/{day,night}/x.png`` with ``labels/train/{day,night}/x.txt`` (one box each,
    of different sizes) and ``images/train/top.png`` without labels."""
    for sub, width in (("day", 0.5), ("night", 0.25)):
        (root / "images" / "train" / sub).mkdir(parents=True)
        (root / "labels" / "train" / sub).mkdir(parents=True)
        cv2.imwrite(str(root / "images" / "train" / sub / "x.png"), np.zeros((20, 40, 3), np.uint8))
        (root / "labels" / "train" / sub / "x.txt").write_text(f"0 0.5 0.5 {width} 0.5\n")
    cv2.imwrite(str(root / "images" / "train" / "top.png"), np.zeros((20, 40, 3), np.uint8))
    (root / "classes.txt").write_text("cat\n")
    return root


def test_images_in_subfolders_are_listed_with_their_labels(tmp_path, caplog):
    root = _yolo(tmp_path / "yolo")
    with caplog.at_level(logging.WARNING, logger="detseg.data.yolo"):
        dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    images = root / "images" / "train"
    assert dataset.files == [
        images / "day" / "x.png",
        images / "night" / "x.png",
        images / "top.png",
    ]
    widths = [dataset[i][1]["boxes"][:, 2] - dataset[i][1]["boxes"][:, 0] for i in range(3)]
    assert [w.tolist() for w in widths] == [[20.0], [10.0], []]
    assert dataset.unmatched_label_files == []
    assert "match no image" not in caplog.text


def test_label_file_in_another_subfolder_is_unmatched(tmp_path):
    root = _yolo(tmp_path / "yolo")
    labels = root / "labels" / "train"
    (labels / "night" / "x.txt").rename(labels / "night" / "y.txt")
    dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    assert dataset.unmatched_label_files == [labels / "night" / "y.txt"]
    assert len(dataset[1][1]["boxes"]) == 0


def test_hidden_folders_are_not_listed(tmp_path):
    root = _yolo(tmp_path / "yolo")
    hidden = root / "images" / "train" / ".ipynb_checkpoints"
    hidden.mkdir()
    cv2.imwrite(str(hidden / "x.png"), np.zeros((20, 40, 3), np.uint8))
    dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    assert len(dataset) == 3


def test_linked_subfolders_are_listed(tmp_path):
    root = _yolo(tmp_path / "yolo")
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "images").mkdir(parents=True)
    (elsewhere / "labels").mkdir()
    cv2.imwrite(str(elsewhere / "images" / "y.png"), np.zeros((20, 40, 3), np.uint8))
    (elsewhere / "labels" / "y.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (root / "images" / "train" / "linked").symlink_to(elsewhere / "images")
    (root / "labels" / "train" / "linked").symlink_to(elsewhere / "labels")
    dataset = YoloTxtDetection(root / "images" / "train", classes=root / "classes.txt")
    assert dataset.files[1] == root / "images" / "train" / "linked" / "y.png"  # day, linked, ...
    assert len(dataset[1][1]["boxes"]) == 1 and dataset.unmatched_label_files == []


def test_check_data_on_an_ultralytics_yaml_reads_the_subfolders(tmp_path):
    root = _yolo(tmp_path / "yolo")
    (root / "data.yaml").write_text("train: images/train\nval: images/train\nnames: [cat]\n")
    data, _ = load_data_section(root / "data.yaml")
    check = check_dataset(data, ("train",), decode=False)
    assert check.splits["train"]["images"] == 3
    assert check.splits["train"]["objects"] == 2
