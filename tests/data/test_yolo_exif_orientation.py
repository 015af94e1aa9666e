"""A YOLO dataset reads its images as displayed (EXIF orientation applied), as Ultralytics reads
them with ``cv2.imread``: YOLO labels of a phone photo are normalized to the displayed image."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from yolo_exif_photos import BOX, DISPLAYED_HW, yolo_photo

from detseg.data import image_io
from detseg.data.yolo import YoloTxtDetection


@pytest.fixture(autouse=True)
def _fresh_report(monkeypatch):
    """Each test starts as a new process would: no orientation reported yet."""
    monkeypatch.setattr(image_io, "_orientation_reported", False)


def _white_extent(image) -> list[float]:
    """``xyxy`` of the bright pixels of a ``[3, H, W]`` image in ``[0, 1]``."""
    ys, xs = np.nonzero(image.numpy().mean(axis=0) > 0.5)
    return [float(xs.min()), float(ys.min()), float(xs.max() + 1), float(ys.max() + 1)]


@pytest.mark.parametrize("orientation", [6, 8, 3, 2, 5, 7, 4])
def test_a_tagged_photo_is_read_as_displayed_with_its_labels(tmp_path, caplog, orientation):
    yolo_photo(tmp_path, orientation)
    dataset = YoloTxtDetection(tmp_path / "images" / "train", classes=tmp_path / "classes.txt")
    with caplog.at_level(logging.WARNING):
        image, target = dataset[0]
    assert tuple(image.shape) == (3, *DISPLAYED_HW)
    (box,) = target["boxes"].tolist()
    assert box == pytest.approx(list(BOX), abs=1e-3)
    assert _white_extent(image) == list(BOX)
    assert target["dropped_boxes"] == 0
    assert "read as stored" not in caplog.text  # no warning that YOLO ignores the tag


def test_a_square_photo_turned_a_quarter_is_read_as_displayed(tmp_path):
    """A square image keeps its size under orientation 6: only the pixels tell."""
    box = (2.0, 20.0, 10.0, 30.0)
    yolo_photo(tmp_path, 6, displayed_hw=(32, 32), box=box)
    dataset = YoloTxtDetection(tmp_path / "images" / "train", classes=tmp_path / "classes.txt")
    image, target = dataset[0]
    assert target["boxes"].tolist() == [pytest.approx(list(box), abs=1e-3)]
    assert _white_extent(image) == list(box)


def test_the_labelled_size_is_the_displayed_size(tmp_path):
    yolo_photo(tmp_path, 6)
    dataset = YoloTxtDetection(tmp_path / "images" / "train", classes=tmp_path / "classes.txt")
    assert dataset.labelled_size(0) == DISPLAYED_HW
