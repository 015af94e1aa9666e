"""The COCO writer gives every source image its own output file: names that become equal once
made flat (an absolute or climbing ``file_name`` beside a name already flat) do not overwrite
each other."""

from __future__ import annotations

import json

import numpy as np
from PIL import Image

from detseg.convert.datasets.coco_writer import write_coco
from detseg.convert.datasets.output_files import no_progress, unique_files
from detseg.convert.datasets.records import DatasetRecord, ImageRecord, ObjectRecord, SplitRecord


def _image(path, value: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((8, 10, 3), value, np.uint8)).save(path)


def test_flattened_names_of_two_sources_get_two_files(tmp_path):
    climbing, flat = tmp_path / "src" / "x.png", tmp_path / "src" / "images" / ".._x.png"
    _image(climbing, 10)
    _image(flat, 200)
    box = ObjectRecord((1.0, 1.0, 5.0, 6.0), 0)
    images = [
        ImageRecord(climbing, "../x.png", 10, 8, [box]),
        ImageRecord(flat, ".._x.png", 10, 8, []),
    ]
    write_coco(
        DatasetRecord(["a"], [SplitRecord("train", images)]), tmp_path / "out", False, no_progress
    )
    coco = json.loads((tmp_path / "out" / "annotations" / "instances_train.json").read_text())
    names = [entry["file_name"] for entry in coco["images"]]
    assert names == [".._x.png", ".._x_1.png"]
    folder = tmp_path / "out" / "train" / "images"
    assert np.asarray(Image.open(folder / names[0])).max() == 10
    assert np.asarray(Image.open(folder / names[1])).max() == 200
    assert coco["annotations"][0]["image_id"] == coco["images"][0]["id"]


def test_a_source_listed_twice_keeps_one_name(tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    assert unique_files(["x.png", "x.png", "x.png", "x_1.png"], [a, a, b, b]) == [
        "x.png",
        "x.png",
        "x_2.png",
        "x_1.png",
    ]
