"""A COCO image entry whose width and height differ from the file's: a check_data warning."""

from __future__ import annotations

import json
import shutil

from detseg.dataset_check import check_dataset


def test_a_stated_size_that_differs_from_the_file_is_reported(shapes_root, tmp_path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    ann_file = root / "annotations" / "instances_val.json"
    coco = json.loads(ann_file.read_text())
    entry = coco["images"][1]
    entry["width"], entry["height"] = 640, 480
    ann_file.write_text(json.dumps(coco))
    check = check_dataset({"format": "coco", "root": str(root)}, ("val",))
    (found,) = [f for f in check.findings if f.code == "size_mismatches"]
    assert found.severity == "warning" and found.count == 1
    side = json.loads((shapes_root / "annotations" / "instances_val.json").read_text())
    real = side["images"][1]
    assert found.files == [
        f"val/images/{entry['file_name']}: the annotations say 640 x 480 (W x H), the file is "
        f"{real['width']} x {real['height']}"
    ]
    assert check.splits["val"]["size_mismatches"] == 1


def test_matching_sizes_give_no_finding(shapes_root):
    check = check_dataset({"format": "coco", "root": str(shapes_root)}, ("val",))
    assert not [f for f in check.findings if f.code == "size_mismatches"]
    assert check.splits["val"]["size_mismatches"] == 0


def test_coco_seg_reports_a_stated_size_that_differs_from_the_file(shapes_root, tmp_path):
    """coco_seg paints the polygons at the file's size, as detection reads the boxes."""
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    ann_file = root / "annotations" / "instances_val.json"
    coco = json.loads(ann_file.read_text())
    coco["images"][0]["width"], coco["images"][0]["height"] = 640, 480
    ann_file.write_text(json.dumps(coco))
    check = check_dataset({"format": "coco_seg", "root": str(root)}, ("val",))
    (found,) = [f for f in check.findings if f.code == "size_mismatches"]
    assert found.severity == "warning" and found.count == 1
    assert found.files[0].startswith(f"val/images/{coco['images'][0]['file_name']}: ")
    clean = check_dataset({"format": "coco_seg", "root": str(shapes_root)}, ("val",))
    assert clean.splits["val"]["size_mismatches"] == 0
