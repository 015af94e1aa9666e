"""A segmentation reader takes a listed class name as the detection readers do
(:func:`detseg.data.class_names.class_name`): stripped, an empty entry refused by its position,
names equal once stripped refused as repeated. ``" cat "`` is then the class ``cat`` whether a
detector or a segmenter is trained on the list, and a checkpoint stores it so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.class_names import read_class_names
from detseg.data.coco_seg import CocoSegmentation
from detseg.data.masks import VOCSegmentation


def _voc(root: Path) -> Path:
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "JPEGImages" / "a.jpg")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "SegmentationClass" / "a.png")
    (root / "ImageSets/Segmentation/train.txt").write_text("a\n")
    return root


def test_voc_seg_strips_listed_names_as_detection_does(tmp_path):
    listed = [" cat ", "dog\t"]
    dataset = VOCSegmentation(_voc(tmp_path), "train", listed)
    assert dataset.classes == read_class_names(listed) == ["cat", "dog"]


def test_voc_seg_refuses_names_repeated_once_stripped(tmp_path):
    with pytest.raises(ValueError, match=r"^data.classes: class names must be unique, \['cat'\]"):
        VOCSegmentation(_voc(tmp_path), "train", ["cat", " cat"])


def test_voc_seg_refuses_an_empty_entry_by_its_position(tmp_path):
    with pytest.raises(ValueError, match=r"^data.classes: class name 2 is empty$"):
        VOCSegmentation(_voc(tmp_path), "train", ["cat", None])  # type: ignore[list-item]


def test_voc_seg_refuses_a_padded_background_entry(tmp_path):
    with pytest.raises(ValueError, match="remove it from the class list"):
        VOCSegmentation(_voc(tmp_path), "train", [" background ", "cat"])


def test_coco_seg_category_names_are_stripped(tmp_path):
    (tmp_path / "images").mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    ann = tmp_path / "instances.json"
    categories = [{"id": 1, "name": " cat "}, {"id": 2, "name": "dog"}]
    images = [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}]
    ann.write_text(json.dumps({"images": images, "annotations": [], "categories": categories}))
    assert CocoSegmentation(tmp_path / "images", ann).classes == ["cat", "dog"]
