"""Two COCO ``images`` entries that name one file: a conversion reads them as one image holding
the annotations of both, with one warning naming the later ids, so the YOLO label file of that
name holds every object instead of one entry's labels overwriting the other's."""

from __future__ import annotations

import json
import logging

from PIL import Image

from detseg.convert.datasets import convert_dataset, read_dataset


def test_entries_of_one_file_are_merged(tmp_path, caplog):
    source = tmp_path / "coco"
    (source / "train" / "images").mkdir(parents=True)
    (source / "annotations").mkdir()
    Image.new("RGB", (40, 30)).save(source / "train" / "images" / "a.png")
    Image.new("RGB", (40, 30)).save(source / "train" / "images" / "b.png")
    ann = {"category_id": 1, "bbox": [1, 2, 3, 4], "iscrowd": 0, "area": 12}
    size = {"width": 40, "height": 30}
    coco = {
        "images": [
            {"id": 7, "file_name": "a.png", **size},
            {"id": 8, "file_name": "b.png", **size},
            {"id": 9, "file_name": "a.png", **size},
        ],
        "categories": [{"id": 1, "name": "x"}],
        "annotations": [
            {**ann, "id": 1, "image_id": 7},
            {**ann, "id": 2, "image_id": 8},
            {**ann, "id": 3, "image_id": 9, "bbox": [5, 5, 6, 6]},
        ],
    }
    (source / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        split = read_dataset(source, "coco").splits[0]
    assert [(image.path.name, len(image.objects)) for image in split.images] == [
        ("a.png", 2),
        ("b.png", 1),
    ]
    (message,) = [r.getMessage() for r in caplog.records if "merged" in r.getMessage()]
    assert "instances_train.json: the images entries of ids 9 name a file" in message
    convert_dataset(source, tmp_path / "yolo", "coco", "yolo", progress=False)
    labels = (tmp_path / "yolo" / "labels" / "train" / "a.txt").read_text().splitlines()
    assert len(labels) == 2
