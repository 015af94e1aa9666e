"""Text files saved with a UTF-8 byte-order mark (Windows editors) read like plain UTF-8."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.data import VOCDetection, YoloTxtDetection, read_class_names

BOM = "\ufeff"


def _image(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), np.zeros((24, 32, 3), np.uint8))


def test_class_names_file_with_bom(tmp_path):
    path = tmp_path / "classes.txt"
    path.write_text(f"{BOM}cat\r\ndog\r\n", encoding="utf-8")
    assert read_class_names(path) == ["cat", "dog"]


def test_yolo_label_file_with_bom_keeps_its_first_line(tmp_path):
    _image(tmp_path / "images" / "train" / "a.png")
    labels = tmp_path / "labels" / "train"
    labels.mkdir(parents=True)
    (labels / "a.txt").write_text(f"{BOM}0 0.5 0.5 0.25 0.5\r\n1 0.25 0.25 0.1 0.1\r\n")
    dataset = YoloTxtDetection(tmp_path / "images" / "train", classes=["cat", "dog"])
    _, target = dataset[0]
    assert target["labels"].tolist() == [1, 2]
    assert target["boxes"][0].tolist() == [12.0, 6.0, 20.0, 18.0]


def test_voc_split_file_with_bom(tmp_path):
    _image(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "Annotations").mkdir()
    box = "<bndbox><xmin>2</xmin><ymin>2</ymin><xmax>9</xmax><ymax>9</ymax></bndbox>"
    xml = f"<annotation><object><name>cat</name>{box}</object></annotation>"
    (tmp_path / "Annotations" / "a.xml").write_text(xml)
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text(f"{BOM}a\n", encoding="utf-8")
    dataset = VOCDetection(tmp_path, "train")
    assert dataset.names == ["a"]
    assert dataset.unreadable_annotation_files == []
    assert dataset[0][1]["labels"].tolist() == [1]
