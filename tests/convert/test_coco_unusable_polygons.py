"""COCO -> segments (``--segments``): an annotation whose polygon ``segmentation`` has no usable
part (a flat list, a part of fewer than 3 points, a string) keeps its box, and one warning
names the json and the annotation ids, instead of a box line among the segment lines without a
word."""

from __future__ import annotations

import json
import logging

from PIL import Image

from detseg.convert.datasets import read_dataset

SEGMENTATIONS = {
    1: [[10, 8, 50, 12, 40, 40]],  # usable
    2: [10, 8, 50, 12, 40, 40],  # flat: not a list of parts
    3: [[10, 8, 50, 12]],  # two points
    4: "10 8 50 12 40 40",
}


def test_unusable_polygons_are_named(tmp_path, caplog):
    (tmp_path / "train" / "images").mkdir(parents=True)
    (tmp_path / "annotations").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "train" / "images" / "a.png")
    anns = [
        {"id": ann_id, "image_id": 1, "category_id": 1, "bbox": [10, 8, 40, 32], "iscrowd": 0}
        | {"segmentation": segm}
        for ann_id, segm in SEGMENTATIONS.items()
    ]
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "x"}],
        "annotations": anns,
    }
    (tmp_path / "annotations" / "instances_train.json").write_text(json.dumps(coco))

    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "coco", segments=True).splits[0]

    assert [bool(obj.polygon) for obj in split.images[0].objects] == [True, False, False, False]
    (message,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "instances_train.json: 3 annotation(s) have a polygon segmentation" in message
    assert "(annotation ids 2, 3, 4)" in message
