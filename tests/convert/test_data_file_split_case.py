"""The ``train`` / ``val`` roles of a converted dataset's ``data.yaml`` match split names
whatever their case (Roboflow and CVAT exports name them ``Train``, ``Valid``, ``Validation``),
and the paths written keep the split's own spelling (its folder's name)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from detseg.convert.datasets import convert_dataset
from detseg.convert.datasets.data_file import data_section, split_roles


@pytest.mark.parametrize(
    ("splits", "roles"),
    [
        (["Train", "Val"], {"train": "Train", "val": "Val"}),
        (["Valid", "Train", "Test"], {"train": "Train", "val": "Valid"}),
        (["TRAINVAL", "Test"], {"train": "TRAINVAL", "val": "Test"}),
        (["Test", "Train2017"], {"train": "Train2017", "val": "Test"}),
        (["train", "val"], {"train": "train", "val": "val"}),
    ],
)
def test_roles_ignore_case(splits, roles):
    assert split_roles(splits) == roles


def test_written_paths_keep_the_spelling(tmp_path):
    section = data_section("yolo", tmp_path, ["Train", "Val"], ["cat"])
    assert (section["train_images"], section["val_images"]) == ("images/Train", "images/Val")
    section = data_section("coco", tmp_path, ["Train", "Val"], ["cat"])
    assert section["val_ann"] == "annotations/instances_Val.json"


def test_a_converted_source_of_capital_splits(shapes_coco, tmp_path):
    source = tmp_path / "src"
    for split, name in (("train", "Train"), ("val", "Val")):
        shutil.copytree(shapes_coco / split, source / name)
        ann = shapes_coco / "annotations" / f"instances_{split}.json"
        (source / "annotations").mkdir(exist_ok=True)
        shutil.copy(ann, source / "annotations" / f"instances_{name}.json")
    convert_dataset(source, tmp_path / "yolo", "coco", "yolo", progress=False)
    data = yaml.safe_load((tmp_path / "yolo" / "data.yaml").read_text())["data"]
    assert (data["train_images"], data["val_images"]) == ("images/Train", "images/Val")
    assert (tmp_path / "yolo" / data["val_images"]).is_dir()
