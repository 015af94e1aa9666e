"""``coco_seg`` and ``shapes_seg`` take their class names from a json's categories, so two
categories of one name (``cat`` and ``cat ``, equal once stripped) are the json's mistake: the
error names the json and the categories' ids, as ``coco`` does
(:func:`detseg.data.coco_json.check_unique_names`), not ``data.classes`` or list positions.
These formats have no ``data.classes``, so the error does not offer it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.coco import CocoDetection
from detseg.data.coco_seg import CocoSegmentation
from detseg.data.masks import ShapesSegmentation

SHARED = [{"id": 1, "name": "cat"}, {"id": 2, "name": "cat "}]


def _shapes_root(root: Path, categories: list[dict]) -> Path:
    """A shapes layout of one image: ``train/images``, ``masks/train`` and the json."""
    for folder in ("annotations", "train/images", "masks/train"):
        (root / folder).mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "train/images/a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "masks/train/a.png")
    images = [{"id": 1, "file_name": "a.png", "width": 8, "height": 8}]
    gt = {"images": images, "annotations": [], "categories": categories}
    (root / "annotations/instances_train.json").write_text(json.dumps(gt))
    return root


def _shared_name_error(ann: Path) -> str:
    return (
        f"{ann}: categories share a name ('cat': ids [1, 2] (written 'cat', 'cat ')), equal "
        "once surrounding spaces are stripped; give every category of its 'categories' list a "
        "distinct name"
    )


def test_shapes_seg_blames_the_json_for_a_shared_name(tmp_path):
    root = _shapes_root(tmp_path, SHARED)
    with pytest.raises(ValueError) as caught:
        ShapesSegmentation(root, "train")
    assert str(caught.value) == _shared_name_error(root / "annotations/instances_train.json")


def test_coco_seg_refuses_a_shared_name_as_coco_does(tmp_path):
    root = _shapes_root(tmp_path, SHARED)
    ann = root / "annotations/instances_train.json"
    with pytest.raises(ValueError) as caught:
        CocoSegmentation(root / "train/images", ann)
    assert str(caught.value) == _shared_name_error(ann)
    with pytest.raises(ValueError) as detection:
        CocoDetection(root / "train/images", ann)
    assert str(detection.value).startswith(f"{_shared_name_error(ann)}, or set data.classes")


def test_shared_names_are_named_by_category_id_not_position(tmp_path):
    categories = [{"id": 7, "name": "dog"}, {"id": 3, "name": "cat"}, {"id": 9, "name": " cat"}]
    root = _shapes_root(tmp_path, categories)
    with pytest.raises(ValueError, match=r"\('cat': ids \[3, 9\] \(written 'cat', ' cat'\)\)"):
        CocoSegmentation(root / "train/images", root / "annotations/instances_train.json")


def test_an_empty_category_name_blames_the_json(tmp_path):
    root = _shapes_root(tmp_path, [{"id": 1, "name": "cat"}, {"id": 2, "name": " "}])
    ann = root / "annotations/instances_train.json"
    with pytest.raises(ValueError, match=rf"^{ann}: class name 2 is empty$"):
        ShapesSegmentation(root, "train")


def test_shapes_seg_names_are_stripped(tmp_path):
    root = _shapes_root(tmp_path, [{"id": 1, "name": " cat "}, {"id": 2, "name": "dog"}])
    dataset = ShapesSegmentation(root, "train")
    assert dataset.classes == ["cat", "dog"]
    assert len(dataset) == 1
