"""The held-out ``test`` split: found where the val split lies, with ``val`` changed to ``test``."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.data.shapes import generate_shapes
from detseg.dataset_check import check_dataset
from detseg.dataset_check.source import held_out_section


@pytest.mark.parametrize(
    ("section", "changed"),
    [
        (  # the format's defaults: the layout of make_shapes.py
            {"format": "coco", "root": "r"},
            {"val_images": "test/images", "val_ann": "annotations/instances_test.json"},
        ),
        ({"format": "yolo", "root": "r"}, {"val_images": "images/test"}),
        (
            {"format": "yolo", "root": "r", "val_images": "valid/images"},
            {"val_images": "test/images"},
        ),
        ({"format": "voc", "root": "r", "val_split": "val"}, {"val_split": "test"}),
        ({"format": "shapes_seg", "root": "r"}, {"val_split": "test"}),
        (
            {"format": "folder_seg", "root": "r"},
            {"val_images": "images/test", "val_masks": "masks/test"},
        ),
    ],
)
def test_val_keys_point_at_test(section, changed):
    assert held_out_section(section) == {**section, **changed}


def test_a_val_split_that_is_the_test_split_already():
    with pytest.raises(ValueError, match=r"data.val_split 'test'\): check it with --splits val"):
        held_out_section({"format": "voc", "root": "r"})  # VOC's default val_split is test


def test_a_val_path_without_val_names_the_key():
    with pytest.raises(
        ValueError, match=r"no test split: data.val_ann 'ann/dev.json' has no 'val'"
    ):
        held_out_section({"format": "coco", "root": "r", "val_ann": "ann/dev.json"})


def test_check_dataset_checks_the_test_split(tmp_path: Path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=2, num_test=4, size=64, seed=0)
    check = check_dataset({"format": "coco", "root": str(root)}, ["train", "val", "test"])
    assert {name: s["images"] for name, s in check.splits.items()} == {
        "train": 3,
        "val": 2,
        "test": 4,
    }
    assert set(check.overlaps) == {"train/val", "train/test", "val/test"}
