"""COCO ``file_name`` values written with Windows separators (``batch_b\\0001.png``) find their
images on any system, in training (and so check_data) and in dataset conversion."""

from __future__ import annotations

import json

import cv2
import numpy as np

from detseg.convert.datasets.coco_reader import read_coco
from detseg.data import CocoDetection


def _dataset(root):
    images = root / "train" / "images"
    (images / "batch_b").mkdir(parents=True)
    assert cv2.imwrite(str(images / "batch_b" / "0001.png"), np.zeros((20, 30, 3), np.uint8))
    (root / "annotations").mkdir()
    ann = {
        "images": [{"id": 1, "file_name": "batch_b\\0001.png", "width": 30, "height": 20}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [2, 3, 10, 8], "area": 80,
             "iscrowd": 0}
        ],
        "categories": [{"id": 1, "name": "cat"}],
    }  # fmt: skip
    ann_file = root / "annotations" / "instances_train.json"
    ann_file.write_text(json.dumps(ann))
    return images, ann_file


def test_training_reads_an_image_named_with_backslashes(tmp_path):
    images, ann_file = _dataset(tmp_path)
    dataset = CocoDetection(images, ann_file)
    assert dataset.image_path(0) == images / "batch_b" / "0001.png"
    sample = dataset[0]
    assert sample is not None and sample[1]["boxes"].tolist() == [[2.0, 3.0, 12.0, 11.0]]


def test_conversion_reads_it_and_names_it_with_slashes(tmp_path):
    _dataset(tmp_path)
    record = read_coco(tmp_path, ["train"])
    (image,) = record.splits[0].images
    assert image.file_name == "batch_b/0001.png" and image.path.is_file()
