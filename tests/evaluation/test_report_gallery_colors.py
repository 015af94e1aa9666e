"""The report gallery draws ground truth in a colour no class has: white edged in black."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path

import cv2
import numpy as np

from detseg.evaluation.report import write_detection_report
from detseg.evaluation.report_gallery import GT_COLOR, GT_EDGE_COLOR
from detseg.visualize import class_colors


def test_ground_truth_colour_differs_from_every_class_colour() -> None:
    # a detection of class k must not be mistaken for a ground-truth box (green was the
    # ground truth's colour, and classes 3 and 8 of 20 are greens)
    for color in class_colors(80):
        assert np.abs(np.subtract(color, GT_COLOR)).max() > 100, color
    assert np.abs(np.subtract(GT_COLOR, GT_EDGE_COLOR)).min() == 255


def test_gallery_draws_ground_truth_white_edged_in_black(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    green = np.zeros((64, 64, 3), np.uint8)
    green[:, :, 1] = 200  # BGR: a green image, on which a green outline would vanish
    assert cv2.imwrite(str(images / "a.png"), green)
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [8, 8, 40, 40],
                "area": 1600.0,
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    page = write_detection_report(tmp_path / "out", gt, [], images).read_text()
    gallery = page[page.index('<div class="gallery">') :]
    (source,) = re.findall(r'<img src="data:image/jpeg;base64,([^"]*)"', gallery)
    data = np.frombuffer(base64.b64decode(html.unescape(source)), np.uint8)
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    picture = decoded[:, :, ::-1].astype(int)  # RGB, 320 px
    scale = picture.shape[0] / 64
    left, top, bottom = round(8 * scale), round(8 * scale), round(48 * scale)
    column = picture[top + 10 : bottom - 10, left - 3 : left + 4]  # across the left edge
    brightness = column.mean(axis=2).mean(axis=0)  # per column, along the edge
    assert brightness.max() > 220  # the white core
    assert brightness[: brightness.argmax()].min() < 60  # black outside it ...
    assert brightness[brightness.argmax() :].min() < 60  # ... and inside
    assert 'class="gt"' in page and "#0f0" not in page  # the page's legend says so too


def test_gallery_pictures_are_the_stored_pixels_of_a_rotated_jpeg(tmp_path: Path) -> None:
    """A JPEG with EXIF orientation 6 (stored 20 x 40, shown 40 x 20): the gallery draws the
    stored pixels, which the boxes are in, as training and evaluation read them (OpenCV's
    imread would rotate it)."""
    from PIL import Image

    images = tmp_path / "images"
    images.mkdir()
    stored = np.zeros((20, 40, 3), np.uint8)
    stored[:, :20] = 255  # left half white
    photo = Image.fromarray(stored)
    exif = photo.getexif()
    exif[0x0112] = 6
    photo.save(images / "a.jpg", exif=exif.tobytes(), quality=100)
    gt = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 40, "height": 20}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 2, 12, 12], "area": 144.0}
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    gt["annotations"][0]["iscrowd"] = 0
    page = write_detection_report(tmp_path / "out", gt, [], images).read_text()
    gallery = page[page.index('<div class="gallery">') :]
    (source,) = re.findall(r'<img src="data:image/jpeg;base64,([^"]*)"', gallery)
    data = np.frombuffer(base64.b64decode(html.unescape(source)), np.uint8)
    picture = cv2.imdecode(data, cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION)
    assert picture.shape[1] == 2 * picture.shape[0]  # landscape, as stored
    half = picture.shape[1] // 2
    assert picture[:, : half - 10].mean() > 200 and picture[:, half + 10 :].mean() < 50
