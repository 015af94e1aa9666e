"""YOLO output holds only images of the file types YOLO training lists
(``detseg.data.image_io.IMAGE_SUFFIXES``): another type (a ``.gif`` of a COCO source) is skipped,
named and counted, not written where training would never read it."""

from __future__ import annotations

import json
import logging

import numpy as np
from PIL import Image

from detseg.convert.datasets import convert_dataset


def _coco_with_a_gif(root):
    images = root / "train" / "images"
    images.mkdir(parents=True)
    (root / "annotations").mkdir()
    entries = []
    for k, name in enumerate(["a.png", "b.gif"], 1):
        Image.fromarray(np.full((16, 20, 3), 50 * k, np.uint8)).save(images / name)
        entries.append({"id": k, "file_name": name, "width": 20, "height": 16})
    anns = [
        {"id": k, "image_id": k, "category_id": 1, "bbox": [2, 2, 8, 6], "iscrowd": 0}
        for k in (1, 2)
    ]
    coco = {"images": entries, "annotations": anns, "categories": [{"id": 1, "name": "x"}]}
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))


def test_an_image_type_training_does_not_list_is_skipped_and_counted(tmp_path, caplog):
    _coco_with_a_gif(tmp_path / "src")
    with caplog.at_level(logging.WARNING):
        summary = convert_dataset(
            tmp_path / "src", tmp_path / "out", "coco", "yolo", progress=False
        )
    (split,) = summary.splits
    assert (split.images, split.objects, split.skipped_images) == (1, 1, 1)
    assert sorted(p.name for p in (tmp_path / "out" / "images" / "train").iterdir()) == ["a.png"]
    assert sorted(p.name for p in (tmp_path / "out" / "labels" / "train").iterdir()) == ["a.txt"]
    assert any("b.gif" in r.getMessage() and ".png" in r.getMessage() for r in caplog.records)


def test_voc_output_keeps_the_gif(tmp_path):
    _coco_with_a_gif(tmp_path / "src")
    voc = convert_dataset(tmp_path / "src", tmp_path / "voc", "coco", "voc", progress=False)
    assert voc.splits[0].images == 2
