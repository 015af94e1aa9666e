"""COCO category names are stripped once on reading the source, so the VOC / YOLO output's
``classes.txt`` and ``<name>`` hold them as the training readers read them; two names that are
one without their spaces are refused, naming both."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from PIL import Image

from detseg.convert.datasets import convert_dataset


def _coco(root: Path, names: list[str]) -> Path:
    (root / "train" / "images").mkdir(parents=True)
    Image.new("RGB", (32, 24)).save(root / "train" / "images" / "a.png")
    coco = {
        "images": [{"id": 1, "file_name": "a.png", "width": 32, "height": 24}],
        "annotations": [
            {"id": k + 1, "image_id": 1, "category_id": k + 1, "bbox": [2, 2, 8, 8]}
            for k in range(len(names))
        ],
        "categories": [{"id": k + 1, "name": name} for k, name in enumerate(names)],
    }
    (root / "annotations").mkdir()
    (root / "annotations" / "instances_train.json").write_text(json.dumps(coco))
    return root


def test_padded_names_are_written_stripped(tmp_path):
    src = _coco(tmp_path / "src", ["cat", "  padded  "])
    summary = convert_dataset(src, tmp_path / "voc", "coco", "voc", progress=False)
    assert summary.classes == ["cat", "padded"]
    assert (tmp_path / "voc" / "classes.txt").read_text().splitlines() == ["cat", "padded"]
    xml = (tmp_path / "voc" / "Annotations" / "a.xml").read_text()
    assert "<name>padded</name>" in xml


def test_names_equal_after_stripping_are_refused_naming_both(tmp_path):
    src = _coco(tmp_path / "src", ["dog", "cat", " dog "])
    message = (
        f"{src}/annotations/instances_train.json: the names of category ids 1 ('dog') and 3 "
        "(' dog ') are the same without spaces; give each category its own name"
    )
    with pytest.raises(ValueError, match=re.escape(message)):
        convert_dataset(src, tmp_path / "yolo", "coco", "yolo", progress=False)
