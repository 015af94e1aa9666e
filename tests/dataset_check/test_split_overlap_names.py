"""Shared file names between splits: only files whose contents differ count, not missing files
(those are reported as unreadable)."""

from __future__ import annotations

import shutil

from detseg.dataset_check import check_dataset


def test_a_missing_file_is_not_a_shared_name_with_other_contents(shapes_root, tmp_path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    (root / "val" / "images" / "000001.png").unlink()  # train has a 000001.png too
    check = check_dataset({"format": "coco", "root": str(root)}, ("train", "val"))
    overlap = check.overlaps["train/val"]
    assert overlap["same_name"] == 3  # the three val files left, numbered as train's
    assert "val/images/000001.png" not in overlap["same_name_files"]
    assert check.splits["val"]["unreadable"] == 1
