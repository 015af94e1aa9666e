"""A COCO image entry's height/width written as whole floats (``480.0``, as some exporters write
them) is a stated size: the size-mismatch warning and the EXIF orientation rule see it."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.data import CocoDetection, image_io
from detseg.data.coco_fields import entry_size


def _dataset(root, height, width):
    (root / "img").mkdir()
    cv2.imwrite(str(root / "img" / "a.png"), np.zeros((20, 30, 3), np.uint8))
    entry = {"id": 1, "file_name": "a.png", "height": height, "width": width}
    data = {"images": [entry], "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))
    return CocoDetection(root / "img", root / "ann.json")


@pytest.mark.parametrize(
    ("height", "width", "size"),
    [(480.0, 640.0, (480, 640)), (480, 640.0, (480, 640)), (480.5, 640, None), (True, 3, None)],
)
def test_entry_size_takes_whole_numbers(height, width, size):
    assert entry_size({"height": height, "width": width}) == size


def test_whole_float_size_mismatch_is_reported(tmp_path, caplog):
    dataset = _dataset(tmp_path, 40.0, 60.0)
    with caplog.at_level(logging.WARNING, logger="detseg.data.base"):
        dataset[0]
    assert "is 30 x 20 (W x H) but its annotations say 60 x 40" in caplog.text


def test_whole_float_size_applies_the_exif_rule(tmp_path, monkeypatch):
    """Stored 20 x 40 with orientation 6; the entry states the displayed 40.0 x 20.0."""
    monkeypatch.setattr(image_io, "_orientation_reported", False, raising=False)
    (tmp_path / "img").mkdir()
    stored = np.zeros((20, 40, 3), dtype=np.uint8)
    image = Image.fromarray(stored)
    exif = image.getexif()
    exif[0x0112] = 6
    image.save(tmp_path / "img" / "a.jpg", exif=exif.tobytes(), quality=100)
    entry = {"id": 1, "file_name": "a.jpg", "height": 40.0, "width": 20.0}
    data = {"images": [entry], "annotations": [], "categories": [{"id": 1, "name": "a"}]}
    (tmp_path / "ann.json").write_text(json.dumps(data))
    image_tensor, _ = CocoDetection(tmp_path / "img", tmp_path / "ann.json")[0]
    assert tuple(image_tensor.shape) == (3, 40, 20)
