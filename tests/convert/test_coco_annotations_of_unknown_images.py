"""A COCO annotation whose ``image_id`` no ``images`` entry has is skipped, counted and named
(its annotation id) in one warning, not dropped without a word."""

from __future__ import annotations

import json
import logging

from PIL import Image

from detseg.convert.datasets import read_dataset


def test_annotation_of_an_unlisted_image_is_named(tmp_path, caplog):
    (tmp_path / "train" / "images").mkdir(parents=True)
    (tmp_path / "annotations").mkdir()
    Image.new("RGB", (40, 30)).save(tmp_path / "train" / "images" / "a.png")
    ann = {"category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0, "area": 12}
    coco = {
        "images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "x"}],
        "annotations": [{**ann, "id": 1, "image_id": 7}, {**ann, "id": 42, "image_id": 8}],
    }
    (tmp_path / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "coco").splits[0]
    assert [len(image.objects) for image in split.images] == [1]
    assert split.skipped_objects == 1
    (message,) = [r.getMessage() for r in caplog.records if "image_id" in r.getMessage()]
    assert "instances_train.json: 1 annotation(s)" in message and "annotation ids 42" in message
