"""The report gallery draws a photo as the COCO reader reads it: a JPEG whose EXIF orientation
swaps width and height is drawn as displayed when its image entry states the displayed size, so
boxes drawn on the displayed photo land on it; otherwise as stored."""

from __future__ import annotations

import base64
import html
import re

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.evaluation.report import write_detection_report
from detseg.evaluation.report_gallery import _read_as_evaluated, _stated_size_rule

# Stored 32 x 64 (H x W), left half white; orientation 6 shows it 64 x 32 with the white on top.
STORED = np.zeros((32, 64, 3), dtype=np.uint8)
STORED[:, :32] = 255


def _gallery_picture(page: str) -> np.ndarray:
    gallery = page[page.index('<div class="gallery">') :]
    (source,) = re.findall(r'<img src="data:image/jpeg;base64,([^"]*)"', gallery)
    data = np.frombuffer(base64.b64decode(html.unescape(source)), np.uint8)
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)


def _photo(folder):
    folder.mkdir()
    photo = Image.fromarray(STORED)
    exif = photo.getexif()
    exif[0x0112] = 6
    photo.save(folder / "a.jpg", exif=exif.tobytes(), quality=100)
    return folder / "a.jpg"


@pytest.mark.parametrize(("stated", "shape"), [((64, 32), (64, 32, 3)), ((32, 64), (32, 64, 3))])
def test_images_are_read_as_the_coco_reader_reads_them(tmp_path, stated, shape):
    photo = _photo(tmp_path / "images")
    assert _read_as_evaluated(photo, 1, _stated_size_rule(stated)).shape == shape
    assert _read_as_evaluated(photo, 1, _stated_size_rule(None)).shape == (32, 64, 3)


def test_gallery_draws_the_photo_as_displayed_when_its_entry_says_so(tmp_path):
    stated = (64, 32)
    images = _photo(tmp_path / "images").parent
    gt = {
        "images": [{"id": 1, "file_name": "a.jpg", "height": stated[0], "width": stated[1]}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [4, 4, 20, 20],
                "area": 400.0,
                "iscrowd": 0,
            }
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    page = write_detection_report(tmp_path / "out", gt, [], images).read_text()
    picture = _gallery_picture(page)
    height, width = picture.shape
    assert height > width  # the displayed photo: white on top, dark below
    assert picture[: height // 2 - 20].mean() > 150 and picture[height // 2 + 20 :].mean() < 60
