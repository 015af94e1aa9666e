"""COCO image entries read as semantic segmentation (``format: coco_seg``) as detection reads
them: ``file_name`` values with Windows separators find their images, and an image whose
decoded size differs from its entry's ``height`` / ``width`` (its polygons were drawn on other
pixels) gives one warning naming the file and both sizes."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np

from detseg.data.coco_seg import CocoSegmentation

SQUARE = [[2.0, 2.0, 8.0, 2.0, 8.0, 8.0, 2.0, 8.0]]  # a polygon inside a 20 x 30 image


def _write(root, file_name, stated_hw):
    """One 20x30 image at ``images/batch_b/0001.png``, listed as ``file_name`` with the stated
    ``(height, width)``, holding one square of category 1; returns the dataset."""
    (root / "images" / "batch_b").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "batch_b" / "0001.png"), np.zeros((20, 30, 3)))
    entry = {"id": 1, "file_name": file_name, "height": stated_hw[0], "width": stated_hw[1]}
    ann = {"id": 1, "image_id": 1, "category_id": 1, "segmentation": SQUARE, "iscrowd": 0}
    data = {"images": [entry], "annotations": [ann], "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))
    return CocoSegmentation(root / "images", root / "ann.json")


def test_windows_file_name_finds_its_image(tmp_path):
    dataset = _write(tmp_path, "batch_b\\0001.png", (20, 30))
    sample = dataset[0]
    assert sample is not None
    _, mask = sample
    assert mask.shape == (20, 30) and int((mask == 1).sum()) > 0


def test_stated_size_mismatch_is_reported_once(tmp_path, caplog):
    dataset = _write(tmp_path, "batch_b/0001.png", (40, 60))
    with caplog.at_level(logging.WARNING, logger="detseg"):
        assert dataset[0] is not None
        assert dataset[0] is not None
    lines = [r.getMessage() for r in caplog.records if "annotations say" in r.getMessage()]
    assert len(lines) == 1, caplog.text
    assert "0001.png" in lines[0] and "30 x 20 (W x H)" in lines[0] and "60 x 40" in lines[0]


def test_matching_stated_size_is_quiet(tmp_path, caplog):
    dataset = _write(tmp_path, "batch_b/0001.png", (20, 30))
    with caplog.at_level(logging.WARNING, logger="detseg"):
        assert dataset[0] is not None
    assert "annotations say" not in caplog.text
