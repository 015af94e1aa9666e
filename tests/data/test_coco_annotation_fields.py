"""load_coco_json refuses unusable annotation fields with one line naming the entry."""

from __future__ import annotations

import json

import pytest

from detseg.data.coco_json import load_coco_json

GOOD_ANN = {"id": 4, "image_id": 1, "category_id": 1, "bbox": [1, 2, 3, 4], "area": 12.0}


def _json(tmp_path, ann=None, image=None):
    data = {
        "images": [{"id": 1, "file_name": "a.png", "width": 8, "height": 8, **(image or {})}],
        "annotations": [GOOD_ANN, {**GOOD_ANN, "id": 5, **(ann or {})}],
        "categories": [{"id": 1, "name": "cat"}],
    }
    path = tmp_path / "ann.json"
    path.write_text(json.dumps(data))
    return path


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ({"area": None}, "'area' null; it must be a number"),
        ({"area": "abc"}, "'area' \"abc\"; it must be a number"),
        ({"iscrowd": None}, "'iscrowd' null; it must be 0 or 1"),
        ({"iscrowd": "yes"}, "'iscrowd' \"yes\"; it must be 0 or 1"),
        ({"category_id": "1"}, "'category_id' \"1\"; it must be the integer id"),
        ({"category_id": [1]}, "'category_id' [1]; it must be the integer id"),
    ],
)
def test_bad_annotation_field_is_named(tmp_path, field, expected):
    path = _json(tmp_path, ann=field)
    with pytest.raises(ValueError) as info:
        load_coco_json(path)
    assert str(info.value).startswith(f"{path}: annotations[1] (id 5) has {expected}")


def test_file_name_that_is_not_a_string_is_named(tmp_path):
    path = _json(tmp_path, image={"file_name": 5})
    with pytest.raises(ValueError, match=r"images\[0\] \(id 1\) has 'file_name' 5; it must be"):
        load_coco_json(path)


def test_usual_optional_fields_are_accepted(tmp_path):
    path = _json(tmp_path, ann={"iscrowd": 1, "area": 7, "category_id": None})
    assert len(load_coco_json(path)["annotations"]) == 2
    path = _json(tmp_path, ann={"iscrowd": False})
    assert len(load_coco_json(path)["annotations"]) == 2
