"""A YOLO split without its labels folder is an error naming that folder, as training makes it,
not a split converted as images without objects."""

from __future__ import annotations

import shutil

import pytest

from detseg.convert.datasets import convert_dataset


def test_a_yolo_split_without_labels_folder_is_refused(shapes_coco, tmp_path):
    convert_dataset(shapes_coco, tmp_path / "yolo", "coco", "yolo", progress=False)
    shutil.rmtree(tmp_path / "yolo" / "labels" / "val")
    with pytest.raises(FileNotFoundError, match=r"labels folder .*labels/val not found"):
        convert_dataset(tmp_path / "yolo", tmp_path / "coco", "yolo", "coco", progress=False)
    kept = convert_dataset(tmp_path / "yolo", tmp_path / "train_only", "yolo", "coco", ["train"])
    assert [s.name for s in kept.splits] == ["train"]
