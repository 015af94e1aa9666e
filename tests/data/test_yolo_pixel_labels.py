"""YOLO label lines written in pixels instead of normalized coordinates: each such line is
dropped with a warning naming the label file, the line and the cause (not a box "under 1 px
inside the image" far outside it), and a split whose lines are mostly in pixels is refused
when the dataset is built."""

from __future__ import annotations

import logging

import pytest
from PIL import Image

from detseg.data.yolo import YoloTxtDetection

GOOD = "0 0.5 0.5 0.25 0.25\n"
PIXELS = "0 32 24 20 10\n"  # cx cy w h of a 64 x 48 image, in pixels


def _dataset(root, labels: dict[str, str]):
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    for stem, text in labels.items():
        Image.new("RGB", (64, 48)).save(root / "images" / f"{stem}.png")
        (root / "labels" / f"{stem}.txt").write_text(text)
    return root / "images"


def test_a_line_in_pixels_is_dropped_and_named(tmp_path, caplog):
    images = _dataset(tmp_path, {"a": GOOD * 3 + PIXELS, "b": GOOD * 2})
    dataset = YoloTxtDetection(images, classes=["x"])
    with caplog.at_level(logging.WARNING, logger="detseg.data"):
        _, target = dataset[0]
    assert target["boxes"].tolist() == [[24.0, 18.0, 40.0, 30.0]]  # duplicates dropped too
    assert target["dropped_boxes"] == 3
    (message,) = [r.getMessage() for r in caplog.records if "not normalized" in r.getMessage()]
    assert f"{tmp_path / 'labels' / 'a.txt'}:4" in message and "pixels?" in message
    assert not [r for r in caplog.records if r.name == "detseg.data.target_checks"]


def test_boxes_reaching_a_little_outside_the_image_are_still_clipped(tmp_path):
    images = _dataset(tmp_path, {"a": "0 0.95 0.5 0.3 1.2\n"})
    _, target = YoloTxtDetection(images, classes=["x"])[0]
    assert target["dropped_boxes"] == 0
    assert target["boxes"].tolist() == [pytest.approx([51.2, 0.0, 64.0, 48.0])]


def test_a_split_mostly_in_pixels_is_refused_with_the_first_line(tmp_path):
    images = _dataset(tmp_path, {"a": GOOD + PIXELS, "b": PIXELS * 2})
    with pytest.raises(ValueError, match=r"3 of 4 label lines .*a\.txt:2: '0 32 24 20 10'"):
        YoloTxtDetection(images, classes=["x"])
