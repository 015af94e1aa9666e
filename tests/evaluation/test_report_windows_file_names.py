"""The report's gallery finds an image whose gt ``file_name`` is written with Windows
separators (``batch_b\\a.png``) where training finds it, at ``images_dir/batch_b/a.png``."""

from __future__ import annotations

import json

import cv2
import numpy as np

from detseg.data.coco import CocoDetection
from detseg.evaluation.report import write_detection_report

GT = {
    "images": [{"id": 1, "file_name": "batch_b\\a.png", "width": 64, "height": 48}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        }
    ],
    "categories": [{"id": 1, "name": "thing"}],
}


def test_gallery_draws_an_image_named_with_backslashes(tmp_path):
    images = tmp_path / "images"
    (images / "batch_b").mkdir(parents=True)
    cv2.imwrite(str(images / "batch_b" / "a.png"), np.full((48, 64, 3), 90, np.uint8))
    ann_file = tmp_path / "gt.json"
    ann_file.write_text(json.dumps(GT))
    assert CocoDetection(images, ann_file)[0] is not None  # training reads it

    page = write_detection_report(tmp_path / "out", GT, [], images_dir=images).read_text()

    assert "data:image/jpeg;base64," in page  # the missed object's image, drawn
    assert "were not found" not in page
