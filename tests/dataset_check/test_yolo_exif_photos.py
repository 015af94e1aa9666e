"""check_data on a YOLO dataset of tagged phone photos checks and draws each image as training
reads it: as displayed (EXIF orientation applied), with labels normalized to that image."""

from __future__ import annotations

import base64
from pathlib import Path

import cv2
import numpy as np
import pytest
from yolo_exif_photos import BOX, DISPLAYED_HW, yolo_photo

from detseg.data import image_io
from detseg.dataset_check import check_dataset
from detseg.dataset_check.gallery import draw_grid


@pytest.fixture(autouse=True)
def _fresh_report(monkeypatch):
    """Each test starts as a new process would: no orientation reported yet."""
    monkeypatch.setattr(image_io, "_orientation_reported", False)


def _check(root: Path):
    data = {"format": "yolo", "root": str(root), "classes": str(root / "classes.txt")}
    return check_dataset(data, ("train",))


def _drawn(uri: str) -> np.ndarray:
    data = base64.b64decode(uri.removeprefix("data:image/jpeg;base64,"))
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_GRAYSCALE)


def test_a_quarter_turned_photo_is_checked_at_its_displayed_size(tmp_path):
    """The box (y 24..36) lies inside the displayed 40 px height, outside the stored 24 px."""
    yolo_photo(tmp_path, 6)
    check = _check(tmp_path)
    summary = check.splits["train"]
    assert summary["outside_boxes"] == 0 and summary["kept_objects"] == 1
    (record,) = check.scans["train"].records
    assert record.size == DISPLAYED_HW
    assert record.boxes.tolist() == [pytest.approx(list(BOX), abs=1e-3)]
    assert {f.code: f.severity for f in check.findings} == {"displayed_images": "info"}


@pytest.mark.parametrize("orientation", [6, 3])
def test_the_gallery_draws_the_photo_as_displayed(tmp_path, orientation):
    yolo_photo(tmp_path, orientation)
    check = _check(tmp_path)
    assert check.splits["train"]["displayed_images"] == 1
    (item,) = draw_grid(check.scans["train"], 4)
    drawn = _drawn(item.data_uri)
    assert drawn.shape[:2] == (256, round(256 * DISPLAYED_HW[1] / DISPLAYED_HW[0]))
    scale = 256 / DISPLAYED_HW[0]
    x1, y1, x2, y2 = (v * scale for v in BOX)
    assert drawn[int((y1 + y2) / 2), int((x1 + x2) / 2)] > 200  # the white square, as labelled
    assert drawn[int(y1 / 2), int((x1 + x2) / 2)] < 50
