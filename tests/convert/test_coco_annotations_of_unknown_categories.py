"""A COCO annotation whose ``category_id`` no ``categories`` entry has, or whose category is
left out by ``classes``, is skipped with a warning that names the json, the category ids and
the annotation ids (the first few), not only a count."""

from __future__ import annotations

import json
import logging

from PIL import Image

from detseg.convert.datasets import read_dataset

ANN = {"image_id": 7, "bbox": [1, 2, 3, 4], "iscrowd": 0, "area": 12}


def _write(root, categories: list[int]) -> None:
    (root / "train" / "images").mkdir(parents=True)
    (root / "annotations").mkdir()
    Image.new("RGB", (40, 30)).save(root / "train" / "images" / "a.png")
    coco = {
        "images": [{"id": 7, "file_name": "a.png", "width": 40, "height": 30}],
        "categories": [{"id": 1, "name": "x"}, {"id": 2, "name": "y"}],
        "annotations": [
            {**ANN, "id": 100 + k, "category_id": cat} for k, cat in enumerate(categories)
        ],
    }
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_unknown_category_ids_are_named(tmp_path, caplog):
    _write(tmp_path, [1, 9, 9, 5, 3, 4, 6, 8, 2])
    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "coco").splits[0]

    assert [o.class_index for o in split.images[0].objects] == [0, 1]
    assert split.skipped_objects == 7
    (message,) = _warnings(caplog)
    assert "instances_train.json: 7 annotation(s)" in message
    assert "category ids 9, 5, 3, 4, 6, ..." in message  # each id once, in file order
    assert "annotation ids 101, 102, 103, 104, 105, ..." in message


def test_categories_left_out_of_the_classes_are_named(tmp_path, caplog):
    _write(tmp_path, [1, 2, 2, 7])
    with caplog.at_level(logging.WARNING):
        split = read_dataset(tmp_path, "coco", classes=["y"]).splits[0]

    assert [o.class_index for o in split.images[0].objects] == [0, 0]
    unknown, excluded = _warnings(caplog)
    assert "1 annotation(s) have a category_id that no 'categories' entry has" in unknown
    assert "category ids 7;" in unknown and "annotation ids 103)" in unknown
    assert "1 annotation(s) of categories not among the converted classes" in excluded
    assert "categories 1 'x'; annotation ids 100)" in excluded
