"""A YOLO segment line (``class x1 y1 x2 y2 ...``) keeps its outline in COCO output as a
polygon ``segmentation`` in pixels, its box being the polygon's extent; a box line gets no
``segmentation``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset


def test_segment_lines_become_coco_polygons(tmp_path):
    src = tmp_path / "yolo"
    (src / "images" / "train").mkdir(parents=True)
    (src / "labels" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(src / "images" / "train" / "a.png")
    (src / "classes.txt").write_text("x\ny\n")
    lines = ["1 0.1 0.2 0.5 0.2 0.3 0.8", "0 0.5 0.5 0.2 0.4", "0 0.9 0.1 1.2 0.1 1.0 0.5"]
    (src / "labels" / "train" / "a.txt").write_text("\n".join(lines) + "\n")
    convert_dataset(src, tmp_path / "coco", "yolo", "coco", progress=False)
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    segment, box, clipped = coco["annotations"]
    assert segment["category_id"] == 2
    assert segment["segmentation"] == [pytest.approx([10, 10, 50, 10, 30, 40])]
    assert segment["bbox"] == pytest.approx([10, 10, 40, 30])
    assert "segmentation" not in box
    assert clipped["segmentation"] == [pytest.approx([90, 5, 100, 5, 100, 25])]


def test_a_segment_area_is_its_polygon_area(tmp_path):
    """COCO's ``area`` is the segmentation's (as pycocotools' area ranges read it), not the
    box's: a triangle fills half its box."""
    src = tmp_path / "yolo"
    (src / "images" / "train").mkdir(parents=True)
    (src / "labels" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((50, 100, 3), np.uint8)).save(src / "images" / "train" / "a.png")
    (src / "classes.txt").write_text("x\n")
    (src / "labels" / "train" / "a.txt").write_text(
        "0 0.1 0.2 0.5 0.2 0.3 0.8\n0 0.5 0.5 0.2 0.4\n"
    )
    convert_dataset(src, tmp_path / "coco", "yolo", "coco", progress=False)
    coco = json.loads((tmp_path / "coco" / "annotations" / "instances_train.json").read_text())
    assert [ann["area"] for ann in coco["annotations"]] == [pytest.approx(600), pytest.approx(400)]
