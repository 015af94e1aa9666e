"""Class names that a ``classes.txt`` (one name per line) cannot hold: a COCO category named
``"a\\nb"`` would become two classes in YOLO / VOC output (every later class shifted by one),
and a blank name would be dropped or make the file unreadable. The converter refuses them;
COCO output, which keeps names in json, takes them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset


def _coco(root: Path, names: list[str]) -> Path:
    (root / "annotations").mkdir(parents=True)
    (root / "train" / "images").mkdir(parents=True)
    Image.new("RGB", (40, 30), (20, 90, 40)).save(root / "train" / "images" / "a.png")
    categories = [{"id": 10 * (k + 1), "name": name} for k, name in enumerate(names)]
    annotations = [
        {"id": k + 1, "image_id": 1, "category_id": c["id"], "bbox": [1 + k, 2, 5, 6]}
        for k, c in enumerate(categories)
    ]
    image = {"id": 1, "file_name": "a.png", "width": 40, "height": 30}
    coco = {"images": [image], "annotations": annotations, "categories": categories}
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    return root


@pytest.mark.parametrize("dst_format", ["yolo", "voc"])
@pytest.mark.parametrize(
    ("names", "problem"),
    [
        (["a\nb", "c"], r"class 1 of 2, 'a\\nb', holds a line break"),
        (["x", "   "], r"class 2 of 2, '', is blank"),  # stripped as the source is read
        (["", "ok"], r"class 1 of 2, '', is blank"),
    ],
)
def test_names_a_classes_txt_cannot_hold_are_refused(tmp_path, dst_format, names, problem):
    src = _coco(tmp_path / "coco", names)
    out = tmp_path / "out"
    with pytest.raises(ValueError, match=problem + ".*rename it in the source"):
        convert_dataset(src, out, "coco", dst_format, progress=False)
    assert not out.exists() or not any(out.iterdir())  # refused before writing


def test_other_names_keep_their_class_through_yolo(tmp_path):
    names = ["yes", "null", "1", "a: b", "#x", "ü"]
    src = _coco(tmp_path / "coco", names)
    convert_dataset(src, tmp_path / "yolo", "coco", "yolo", progress=False)
    convert_dataset(tmp_path / "yolo", tmp_path / "back", "yolo", "coco", progress=False)
    back = json.loads((tmp_path / "back" / "annotations" / "instances_train.json").read_text())
    name_of = {c["id"]: c["name"] for c in back["categories"]}
    assert [c["name"] for c in back["categories"]] == names
    by_x = sorted(back["annotations"], key=lambda a: a["bbox"][0])
    assert [name_of[a["category_id"]] for a in by_x] == names
