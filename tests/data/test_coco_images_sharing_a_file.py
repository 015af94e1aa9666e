"""A COCO json that lists one file under two ``images`` entries: the readers read each entry as
an image of its own with only its own annotations (each copy shows the other's objects as
background), so they name the file and ids in one warning."""

from __future__ import annotations

import json
import logging

import pytest
from PIL import Image

from detseg.data.coco import CocoDetection
from detseg.data.coco_seg import CocoSegmentation


@pytest.mark.parametrize("second", ["a.png", "./a.png"])
@pytest.mark.parametrize("reader", [CocoDetection, CocoSegmentation])
def test_a_file_listed_twice_is_named(tmp_path, caplog, reader, second):
    (tmp_path / "images").mkdir()
    Image.new("RGB", (40, 30)).save(tmp_path / "images" / "a.png")
    ann = {"category_id": 1, "bbox": [1, 2, 8, 8], "iscrowd": 0, "area": 64}
    ann["segmentation"] = [[1, 2, 9, 2, 9, 10, 1, 10]]
    size = {"width": 40, "height": 30}
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", **size},
            {"id": 2, "file_name": second, **size},
        ],
        "categories": [{"id": 1, "name": "x"}],
        "annotations": [{**ann, "id": 1, "image_id": 1}, {**ann, "id": 2, "image_id": 2}],
    }
    ann_file = tmp_path / "ann.json"
    ann_file.write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        reader(tmp_path / "images", ann_file)
    (message,) = [r.getMessage() for r in caplog.records if "several images" in r.getMessage()]
    assert message.startswith(f"{ann_file}: 1 file name is listed by several images ('a.png': ")
    assert "ids [1, 2]" in message and "list each file once" in message


def test_a_windows_separator_names_the_same_file(tmp_path, caplog):
    """``b\\1.png`` opens ``b/1.png`` (the readers try ``/`` for ``\\``): one file twice."""
    (tmp_path / "images" / "b").mkdir(parents=True)
    Image.new("RGB", (40, 30)).save(tmp_path / "images" / "b" / "1.png")
    size = {"width": 40, "height": 30}
    coco = {
        "images": [
            {"id": 1, "file_name": "b/1.png", **size},
            {"id": 2, "file_name": "b\\1.png", **size},
        ],
        "categories": [{"id": 1, "name": "x"}],
        "annotations": [],
    }
    ann_file = tmp_path / "ann.json"
    ann_file.write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        CocoDetection(tmp_path / "images", ann_file)
    assert "1 file name is listed by several images ('b/1.png': ids [1, 2])" in caplog.text
