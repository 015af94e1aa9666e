"""The converter reads YOLO and VOC sources by the rules of detseg's training readers
(:mod:`detseg.data.yolo`, :mod:`detseg.data.voc`): YOLO label lines in pixels are skipped and
named (a split mostly in pixels is refused), and a VOC xml with a default namespace keeps its
objects."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import read_dataset

GOOD = "0 0.5 0.5 0.25 0.25\n"
PIXELS = "0 32 24 20 10\n"  # cx cy w h of a 64 x 48 image, in pixels


def _good(count: int) -> str:
    """``count`` different normalised lines."""
    return "".join(f"0 0.5 0.5 0.25 {0.1 * (k + 1):.1f}\n" for k in range(count))


def _yolo(root: Path, labels: dict[str, str]) -> None:
    (root / "images" / "train").mkdir(parents=True)
    (root / "labels" / "train").mkdir(parents=True)
    (root / "classes.txt").write_text("x\n")
    for stem, text in labels.items():
        Image.new("RGB", (64, 48)).save(root / "images" / "train" / f"{stem}.png")
        (root / "labels" / "train" / f"{stem}.txt").write_text(text)


def test_yolo_line_in_pixels_is_skipped_and_named(tmp_path, caplog):
    _yolo(tmp_path, {"a": _good(3) + PIXELS, "b": _good(2)})
    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "yolo").splits[0]
    assert [len(image.objects) for image in split.images] == [3, 2]
    assert split.skipped_objects == 1
    assert f"{tmp_path / 'labels' / 'train' / 'a.txt'}:4" in caplog.text
    assert "pixels?" in caplog.text


def test_yolo_split_mostly_in_pixels_is_refused(tmp_path):
    _yolo(tmp_path, {"a": GOOD + PIXELS, "b": PIXELS * 2})
    with pytest.raises(ValueError, match=r"3 of 4 label lines .*a\.txt:2: '0 32 24 20 10'"):
        read_dataset(tmp_path, "yolo")


def test_yolo_utf16_label_file_is_read_as_training_reads_it(tmp_path):
    _yolo(tmp_path, {})
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "train" / "a.png")
    (tmp_path / "labels" / "train" / "a.txt").write_bytes(GOOD.encode("utf-16"))
    (image,) = read_dataset(tmp_path, "yolo").splits[0].images
    assert [o.box for o in image.objects] == [(24.0, 18.0, 40.0, 30.0)]


def test_voc_xml_with_a_default_namespace_keeps_its_objects(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    (tmp_path / "Annotations" / "a.xml").write_text(
        '<annotation xmlns="http://example.com/voc"><filename>a.jpg</filename>'
        "<size><width>64</width><height>48</height></size>"
        "<object><name>cat</name><difficult>1</difficult><bndbox><xmin>11</xmin>"
        "<ymin>6</ymin><xmax>30</xmax><ymax>20</ymax></bndbox></object></annotation>"
    )
    record = read_dataset(tmp_path, "voc")
    assert record.classes == ["cat"]
    (obj,) = record.splits[0].images[0].objects
    assert obj.box == (10.0, 5.0, 30.0, 20.0) and obj.difficult


def test_yolo_repeated_line_is_converted_once(tmp_path, caplog):
    _yolo(tmp_path, {"a": GOOD + "0 0.25 0.25 0.1 0.1\n" + GOOD})
    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "yolo").splits[0]
    assert len(split.images[0].objects) == 2 and split.skipped_objects == 1
    assert "line 3 repeats line 1" in caplog.text


def test_voc_size_of_infinity_is_taken_as_no_size(tmp_path):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(tmp_path / "JPEGImages" / "a.jpg")
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    (tmp_path / "Annotations" / "a.xml").write_text(
        "<annotation><size><width>inf</width><height>48</height></size><object><name>cat"
        "</name><bndbox><xmin>11</xmin><ymin>6</ymin><xmax>30</xmax><ymax>20</ymax></bndbox>"
        "</object></annotation>"
    )
    (image,) = read_dataset(tmp_path, "voc").splits[0].images
    assert (image.width, image.height, len(image.objects)) == (64, 48, 1)
