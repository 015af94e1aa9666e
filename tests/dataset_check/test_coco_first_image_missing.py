"""The dataset check reads a COCO split as training does: a missing first image (by id) among
found ones is one missing image of the split, in train and in val alike, not an error that
stops the check; a split none of whose first images is found still stops it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from detseg.command_line import USER_ERRORS
from detseg.dataset_check import check_dataset


@pytest.mark.parametrize("split", ["train", "val"])
def test_a_missing_first_image_is_one_missing_image(shapes_root: Path, tmp_path: Path, split: str):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    (root / split / "images" / "000000.png").unlink()
    check = check_dataset({"format": "coco", "root": str(root)}, ("train", "val"))
    found = [f for f in check.findings if f.code == "unreadable_images"]
    assert [(f.split, f.severity, f.count) for f in found] == [(split, "warning", 1)]
    assert found[0].files == [f"{split}/images/000000.png: missing file"]
    assert check.exit_code == 0


def test_no_image_found_stops_the_check(shapes_root: Path, tmp_path: Path):
    root = tmp_path / "shapes"
    shutil.copytree(shapes_root, root)
    shutil.rmtree(root / "val" / "images")
    (root / "val" / "images").mkdir()
    with pytest.raises(USER_ERRORS, match="is images_dir .* the folder its file_name entries"):
        check_dataset({"format": "coco", "root": str(root)}, ("train", "val"))
