"""check_data and COCO image ids: annotations of absent images warn, duplicate ids fail."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from detseg.dataset_check import check_dataset, format_text_report


def _edited_copy(shapes_root: Path, tmp_path: Path, edit) -> Path:
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    path = root / "annotations" / "instances_train.json"
    coco = json.loads(path.read_text())
    edit(coco)
    path.write_text(json.dumps(coco))
    return root


def _orphan(coco: dict) -> None:
    coco["annotations"][0]["image_id"] = 12345


def _duplicate(coco: dict) -> None:
    coco["images"][1]["id"] = coco["images"][0]["id"]


def test_annotation_of_an_absent_image_is_a_warning(shapes_root, tmp_path):
    root = _edited_copy(shapes_root, tmp_path, _orphan)
    check = check_dataset({"format": "coco", "root": str(root)}, decode=False)
    orphans = [f for f in check.findings if f.code == "orphan_annotations"]
    assert [(f.severity, f.split, f.count) for f in orphans] == [("warning", "train", 1)]
    assert "1 annotation names an image_id absent" in orphans[0].message
    assert "image_id 12345" in orphans[0].message
    assert check.splits["train"]["orphan_annotations"] == 1
    assert check.splits["val"]["orphan_annotations"] == 0
    assert check.exit_code == 0
    assert "orphan_annotations" in format_text_report(check)


def test_clean_dataset_has_no_orphans(shapes_root):
    check = check_dataset({"format": "coco", "root": str(shapes_root)}, decode=False)
    assert not [f for f in check.findings if f.code == "orphan_annotations"]
    assert {split: counts["orphan_annotations"] for split, counts in check.splits.items()} == {
        "train": 0,
        "val": 0,
    }
    assert check.exit_code == 0


def test_duplicate_image_id_stops_the_check_with_a_clear_error(shapes_root, tmp_path):
    root = _edited_copy(shapes_root, tmp_path, _duplicate)
    with pytest.raises(ValueError, match=r"instances_train.json: images\[1\] has id \d+, the id"):
        check_dataset({"format": "coco", "root": str(root)}, decode=False)
