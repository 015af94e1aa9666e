"""Dataset conversion reads image sizes from the files: a wrong json / xml size is reported."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from PIL import Image

from detseg.convert.datasets import read_dataset


def _image(path: Path, width: int, height: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (width, height)).save(path)


def test_coco_width_that_differs_from_the_file_is_not_used(tmp_path, caplog):
    _image(tmp_path / "train" / "images" / "a.png", 64, 48)
    coco = {
        "images": [{"id": 7, "file_name": "a.png", "width": 640, "height": 48}],
        "annotations": [{"id": 1, "image_id": 7, "category_id": 1, "bbox": [40, 4, 30, 10]}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        record = read_dataset(tmp_path, "coco")
    image = record.splits[0].images[0]
    assert (image.width, image.height) == (64, 48)
    assert image.objects[0].box == (40.0, 4.0, 64.0, 14.0)  # clipped to the file's width
    assert "(image id 7): the annotation gives the size 640x48 (WxH)" in caplog.text
    assert "is 64x48" in caplog.text


def test_voc_size_that_differs_from_the_file_is_not_used(tmp_path, caplog):
    _image(tmp_path / "JPEGImages" / "a.jpg", 50, 20)
    box = "<bndbox><xmin>1</xmin><ymin>2</ymin><xmax>10</xmax><ymax>8</ymax></bndbox>"
    size = "<size><width>20</width><height>50</height></size>"  # width and height swapped
    xml = f"<annotation><filename>a.jpg</filename>{size}<object><name>cat</name>{box}</object>"
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations" / "a.xml").write_text(xml + "</annotation>")
    (tmp_path / "ImageSets" / "Main").mkdir(parents=True)
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    with caplog.at_level(logging.WARNING):
        record = read_dataset(tmp_path, "voc")
    image = record.splits[0].images[0]
    assert (image.width, image.height) == (50, 20)
    assert "a.xml (<size>): the annotation gives the size 20x50 (WxH)" in caplog.text


def test_matching_size_gives_no_warning(tmp_path, caplog):
    _image(tmp_path / "train" / "images" / "a.png", 64, 48)
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    (tmp_path / "annotations").mkdir()
    (tmp_path / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    with caplog.at_level(logging.WARNING):
        record = read_dataset(tmp_path, "coco")
    assert (record.splits[0].images[0].width, record.splits[0].images[0].height) == (64, 48)
    assert "the annotation gives the size" not in caplog.text
