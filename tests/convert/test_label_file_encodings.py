"""Dataset conversion and the encoding of label and split files."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import read_dataset


def _yolo(root: Path, label_bytes: bytes) -> None:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    Image.new("RGB", (40, 20)).save(root / "images" / "train" / "a.png")
    (root / "labels" / "train" / "a.txt").write_bytes(label_bytes)
    (root / "classes.txt").write_bytes(b"\xef\xbb\xbfcat\r\ndog\r\n")


def test_yolo_label_file_with_bom(tmp_path):
    _yolo(tmp_path, b"\xef\xbb\xbf0 0.5 0.5 0.5 0.5\r\n1 0.5 0.5 0.25 0.5\r\n")
    record = read_dataset(tmp_path, "yolo")
    assert record.classes == ["cat", "dog"]
    objects = record.splits[0].images[0].objects
    assert [o.class_index for o in objects] == [0, 1]
    assert objects[0].box == (10.0, 5.0, 30.0, 15.0)


def test_yolo_label_line_that_is_not_utf8_is_skipped(tmp_path, caplog):
    _yolo(tmp_path, b"0 0.5 0.5 0.5 0.5 \xe9\n1 0.5 0.5 0.25 0.5\n")
    with caplog.at_level(logging.WARNING):
        record = read_dataset(tmp_path, "yolo")
    split = record.splits[0]
    assert [o.class_index for o in split.images[0].objects] == [1]
    assert split.skipped_objects == 1
    assert "a.txt:1: label" in caplog.text and "not all fields are numbers" in caplog.text


def test_voc_split_file_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "JPEGImages").mkdir()
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    split_file = tmp_path / "ImageSets" / "Main" / "train.txt"
    split_file.write_bytes(b"caf\xe9\n")
    with pytest.raises(ValueError, match=r"VOC split file .*train\.txt is not UTF-8 text"):
        read_dataset(tmp_path, "voc")
