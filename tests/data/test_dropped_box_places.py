"""The warning of a box the reader drops names the file to fix: the VOC xml and the object's
index (1-based over the xml's ``<object>`` elements), the YOLO label file and line, the COCO
json and annotation id; then the image."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.coco import CocoDetection
from detseg.data.target_checks import sanitize_boxes
from detseg.data.voc import VOCDetection
from detseg.data.yolo import YoloTxtDetection


def _dropped(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "dropped box" in r.getMessage()]


def test_voc_names_the_xml_and_the_object(tmp_path, caplog):
    for folder in ("Annotations", "JPEGImages", "ImageSets/Main"):
        (tmp_path / folder).mkdir(parents=True)
    Image.new("RGB", (64, 48)).save(tmp_path / "JPEGImages" / "a.jpg")
    boxes = [(3, 4, 20, 30), (30, 5, 10, 25)]  # the second is reversed (xmax < xmin)
    body = "".join(
        f"<object><name>dog</name><bndbox><xmin>{b[0]}</xmin><ymin>{b[1]}</ymin>"
        f"<xmax>{b[2]}</xmax><ymax>{b[3]}</ymax></bndbox></object>"
        for b in boxes
    )
    (tmp_path / "Annotations" / "a.xml").write_text(f"<annotation>{body}</annotation>")
    (tmp_path / "ImageSets" / "Main" / "train.txt").write_text("a\n")
    dataset = VOCDetection(tmp_path, "train", classes=["dog"])
    with caplog.at_level(logging.WARNING):
        _, target = dataset[0]
    assert len(target["boxes"]) == 1
    [message] = _dropped(caplog)
    xml_file, image = tmp_path / "Annotations" / "a.xml", tmp_path / "JPEGImages" / "a.jpg"
    assert message.startswith(f"{xml_file} object 2 (image {image}): dropped box ")


def test_yolo_names_the_label_file_and_line(tmp_path, caplog):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "a.png")
    (tmp_path / "labels" / "a.txt").write_text("0 0.5 0.5 0.2 0.2\n\n0 0.5 0.5 0.001 0.2\n")
    dataset = YoloTxtDetection(tmp_path / "images", classes=["p"])
    with caplog.at_level(logging.WARNING):
        _, target = dataset[0]
    assert len(target["boxes"]) == 1
    [message] = _dropped(caplog)
    label_file, image = tmp_path / "labels" / "a.txt", tmp_path / "images" / "a.png"
    assert message.startswith(f"{label_file}:3 (image {image}): dropped box ")


def test_coco_names_the_json_and_the_annotation_id(tmp_path, caplog):
    Image.new("RGB", (64, 48)).save(tmp_path / "a.png")
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
        "categories": [{"id": 1, "name": "p"}],
        "annotations": [
            {"id": 7, "image_id": 1, "category_id": 1, "bbox": [2, 2, 10, 10], "area": 100},
            {"id": 8, "image_id": 1, "category_id": 1, "bbox": [2, 2, 0.5, 10], "area": 5},
        ],
    }
    ann_file = tmp_path / "instances_train.json"
    ann_file.write_text(json.dumps(gt))
    dataset = CocoDetection(tmp_path, ann_file)
    with caplog.at_level(logging.WARNING):
        _, target = dataset[0]
    assert len(target["boxes"]) == 1
    [message] = _dropped(caplog)
    assert message.startswith(f"{ann_file} annotation id 8 (image {tmp_path / 'a.png'}): ")


def test_without_places_the_image_is_named(caplog):
    with caplog.at_level(logging.WARNING):
        sanitize_boxes(np.array([[5.0, 5.0, 1.0, 9.0]]), (48, 64), source="x.png")
    [message] = _dropped(caplog)
    assert message.startswith("x.png: dropped box ")


@pytest.mark.parametrize(
    ("box", "reason"),
    [
        ([1005.0, 5.0, 1020.0, 20.0], "lies outside the 64x48 image"),
        ([-30.0, 5.0, -10.0, 20.0], "lies outside the 64x48 image"),
        ([5.0, 5.0, 5.5, 20.0], "is under 1 px wide or high inside the 64x48 image"),
        ([63.5, 5.0, 80.0, 20.0], "is under 1 px wide or high inside the 64x48 image"),
    ],
)
def test_the_reason_tells_a_box_outside_from_a_thin_one(caplog, box, reason):
    """A box wholly outside its image (coordinates of another scale, a resized copy of the
    images) is said to lie outside it, not to be thin."""
    with caplog.at_level(logging.WARNING):
        sanitize_boxes(np.array([box]), (48, 64), source="x.png")
    [message] = _dropped(caplog)
    assert message.endswith(f"(xyxy px): it {reason}")


def test_places_are_one_per_box_of_what_the_reader_keeps(tmp_path):
    Path(tmp_path / "images").mkdir()
    Path(tmp_path / "labels").mkdir()
    Image.new("RGB", (64, 48)).save(tmp_path / "images" / "a.png")
    (tmp_path / "labels" / "a.txt").write_text(
        "0 0.5 0.5 0.2 0.2\n5 0.5 0.5 0.2 0.2\n0 0.1 0.1 0.1 0.1\n"
    )
    dataset = YoloTxtDetection(tmp_path / "images", classes=["p"])
    ann = dataset.annotations(0, (48, 64))
    label_file = tmp_path / "labels" / "a.txt"
    assert ann.places == [f"{label_file}:1", f"{label_file}:3"]  # line 2: an unknown class
