"""Aspect-ratio grouping sizes each image as its dataset reads it, from file headers only: a
quarter-turned photo of a YOLO dataset (read as displayed) is grouped by its displayed shape,
a large image past Pillow's decompression-bomb limit is sized, not refused."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image
from yolo_exif_photos import DISPLAYED_HW, yolo_photo

from detseg.data.group_sampler import aspect_ratio_group_ids, image_sizes
from detseg.data.yolo import YoloTxtDetection


def test_a_quarter_turned_yolo_photo_is_grouped_as_displayed(tmp_path):
    yolo_photo(tmp_path, 6)  # stored 24 x 40 (H x W, landscape), displayed 40 x 24 (portrait)
    images = tmp_path / "images" / "train"
    cv2.imwrite(str(images / "b.png"), np.zeros((20, 30, 3), np.uint8))
    (tmp_path / "labels" / "train" / "b.txt").write_text("")
    dataset = YoloTxtDetection(images, classes=["square"])
    sizes = image_sizes(dataset)
    assert sizes == [DISPLAYED_HW, (20, 30)]
    assert aspect_ratio_group_ids(sizes, 2) == [1, 0]


def test_an_image_past_pillows_pixel_limit_is_sized(tmp_path, monkeypatch):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "aerial.png"), np.zeros((20, 30, 3), np.uint8))
    (tmp_path / "labels" / "aerial.txt").write_text("")
    dataset = YoloTxtDetection(tmp_path / "images", classes=["x"])
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 600 px is past twice the limit
    assert image_sizes(dataset) == [(20, 30)]
    assert Image.MAX_IMAGE_PIXELS == 100
