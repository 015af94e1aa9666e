"""CocoDetection and categories: a repeated category id or name is refused, naming the entries."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection

W, H = 32, 24


def _write(root, categories):
    (root / "images").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "a.png"), np.zeros((H, W, 3), dtype=np.uint8))
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": W, "height": H}],
        "annotations": [{"id": 1, "image_id": 1, "category_id": 3, "bbox": [2, 2, 10, 8]}],
        "categories": categories,
    }
    (root / "ann.json").write_text(json.dumps(data))
    return root / "images", root / "ann.json"


def test_repeated_category_id_is_refused(tmp_path):
    categories = [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}, {"id": 3, "name": "cat2"}]
    images_dir, ann_file = _write(tmp_path, categories)
    with pytest.raises(ValueError) as info:
        CocoDetection(images_dir, ann_file)
    message = str(info.value)
    assert str(ann_file) in message
    assert "categories[2] has id 3, the id of categories[0] ('cat')" in message
    assert "unique id" in message


def test_repeated_category_name_is_refused(tmp_path):
    categories = [{"id": 3, "name": "cat"}, {"id": 7, "name": "cat"}]
    images_dir, ann_file = _write(tmp_path, categories)
    with pytest.raises(ValueError) as info:
        CocoDetection(images_dir, ann_file)
    message = str(info.value)
    assert str(ann_file) in message
    assert "'cat': ids [3, 7]" in message
    assert "distinct name" in message


def test_classes_can_pick_around_a_repeated_name(tmp_path):
    categories = [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}, {"id": 9, "name": "dog"}]
    images_dir, ann_file = _write(tmp_path, categories)
    dataset = CocoDetection(images_dir, ann_file, classes=["cat"])
    assert dataset.classes == ["cat"]
    assert dataset.cat_ids == [3]
