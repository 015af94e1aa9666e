"""COCO category names with surrounding spaces (``" cat "`` in a json's ``categories``) are the
class names stripped, as ``data.classes`` names are: the classes of the dataset, its ground
truth for the evaluation, and the category a ``data.classes`` list picks by name all say
``cat``, so that ``data.classes: [cat]`` picks it and the model and its predictions name it
``cat``. Two names equal once stripped are refused as shared."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.data.coco import CocoDetection
from detseg.data.coco_seg import CocoSegmentation


def _dataset(root: Path, names: list[str | int]) -> Path:
    (root / "images").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "a.png"), np.zeros((32, 32, 3), np.uint8))
    gt = {
        "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 32}],
        "annotations": [
            {
                "id": k + 1,
                "image_id": 1,
                "category_id": k + 1,
                "bbox": [2, 2, 10, 10],
                "area": 100,
                "iscrowd": 0,
                "segmentation": [[2, 2, 12, 2, 12, 12, 2, 12]],
            }
            for k in range(len(names))
        ],
        "categories": [{"id": k + 1, "name": name} for k, name in enumerate(names)],
    }
    path = root / "gt.json"
    path.write_text(json.dumps(gt))
    return path


def test_padded_names_are_the_stripped_class_names(tmp_path):
    ann = _dataset(tmp_path, [" cat ", "dog"])
    data = CocoDetection(tmp_path / "images", ann)
    assert data.classes == ["cat", "dog"]
    assert [c["name"] for c in data.coco_gt()["categories"]] == ["cat", "dog"]
    assert CocoSegmentation(tmp_path / "images", ann).classes == ["cat", "dog"]


@pytest.mark.parametrize("classes", [["cat"], [" cat "], ["dog", "cat"]])
def test_data_classes_pick_a_padded_category_by_its_name(tmp_path, classes):
    ann = _dataset(tmp_path, [" cat ", "dog"])
    data = CocoDetection(tmp_path / "images", ann, classes=classes)
    assert data.classes == [name.strip() for name in classes]
    assert [c["name"] for c in data.coco_gt()["categories"]] == data.classes


def test_names_equal_once_stripped_are_shared(tmp_path):
    ann = _dataset(tmp_path, ["cat", "cat "])
    with pytest.raises(ValueError) as caught:
        CocoDetection(tmp_path / "images", ann)
    assert str(caught.value) == (
        f"{ann}: categories share a name ('cat': ids [1, 2] (written 'cat', 'cat ')), equal "
        "once surrounding spaces are stripped; give every category of its 'categories' list a "
        "distinct name, or set data.classes to the names to train on, leaving out 'cat' (ids 1 "
        "and 2: data.classes cannot tell them apart)"
    )


def test_names_that_differ_by_type_are_not_said_to_differ_by_spaces(tmp_path):
    ann = _dataset(tmp_path, [3, "3"])  # type: ignore[list-item]
    with pytest.raises(ValueError) as caught:
        CocoDetection(tmp_path / "images", ann)
    message = str(caught.value)
    assert "categories share a name ('3': ids [1, 2] (written 3, '3')); give every" in message
    assert "surrounding spaces" not in message


def test_several_shared_names_are_each_named_with_their_ids(tmp_path):
    ann = _dataset(tmp_path, ["cat", "cat", "dog", " dog", "dog", "cow"])
    with pytest.raises(ValueError) as caught:
        CocoDetection(tmp_path / "images", ann)
    assert str(caught.value).endswith(
        "or set data.classes to the names to train on, leaving out 'cat' (ids 1 and 2) and "
        "'dog' (ids 3, 4 and 5): data.classes cannot tell apart the categories of one name"
    )
