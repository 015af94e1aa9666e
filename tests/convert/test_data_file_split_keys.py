"""A detseg data file given as the source of a conversion is read by its own keys (the keys
training reads: ``train_images``, ``train_ann``, ``train_labels``, ``train_split``, ...), not by
the format's default layout."""

from __future__ import annotations

import shutil

import pytest
import yaml

from detseg.convert.datasets import convert_dataset, find_splits


def _write(path, section):
    path.write_text(yaml.safe_dump({"data": section}))
    return path


@pytest.fixture(scope="module")
def custom_coco(shapes_coco, tmp_path_factory):
    """The shapes COCO dataset moved to non-default places."""
    root = tmp_path_factory.mktemp("custom_coco") / "ds"
    shutil.copytree(shapes_coco / "train" / "images", root / "custom" / "tr_imgs")
    shutil.copytree(shapes_coco / "val" / "images", root / "custom" / "va_imgs")
    (root / "json").mkdir()
    shutil.copy(shapes_coco / "annotations" / "instances_train.json", root / "json" / "tr.json")
    shutil.copy(shapes_coco / "annotations" / "instances_val.json", root / "json" / "va.json")
    keys = {"train_images": "custom/tr_imgs", "train_ann": "json/tr.json"}
    keys |= {"val_images": "custom/va_imgs", "val_ann": "json/va.json"}
    return _write(root.parent / "data.yaml", {"format": "coco", "root": str(root), **keys})


def test_coco_keys_are_read(custom_coco, tmp_path):
    assert find_splits(custom_coco, "coco") == ["train", "val"]
    summary = convert_dataset(custom_coco, tmp_path / "yolo", "coco", "yolo", progress=False)
    assert [(s.name, s.images, s.skipped_images) for s in summary.splits] == [
        ("train", 12, 0),
        ("val", 3, 0),
    ]


def test_yolo_keys_are_read(custom_coco, tmp_path):
    yolo = tmp_path / "yolo"
    convert_dataset(custom_coco, yolo, "coco", "yolo", progress=False)
    (yolo / "custom").mkdir()
    (yolo / "images" / "train").rename(yolo / "custom" / "pics")
    (yolo / "labels" / "train").rename(yolo / "custom" / "txt")
    section = {"format": "yolo", "root": str(yolo), "classes": "classes.txt"}
    section |= {"train_images": "custom/pics", "train_labels": "custom/txt"}
    data_file = _write(tmp_path / "y.yaml", section)
    summary = convert_dataset(data_file, tmp_path / "coco", "yolo", "coco", progress=False)
    assert [(s.name, s.images, s.objects > 0) for s in summary.splits] == [
        ("train", 12, True),
        ("val", 3, True),
    ]


def test_a_voc_split_file_key_is_read(custom_coco, tmp_path):
    voc = tmp_path / "voc"
    convert_dataset(custom_coco, voc, "coco", "voc", progress=False)
    (voc / "lists").mkdir()
    (voc / "ImageSets" / "Main" / "val.txt").rename(voc / "lists" / "mine.txt")
    section = {"format": "voc", "root": str(voc), "train_split": "train"}
    data_file = _write(tmp_path / "v.yaml", section | {"val_split": "lists/mine.txt"})
    summary = convert_dataset(data_file, tmp_path / "coco", "voc", "coco", progress=False)
    assert {s.name: s.images for s in summary.splits}["val"] == 3


def test_a_missing_keyed_folder_is_named(custom_coco, tmp_path):
    section = yaml.safe_load(custom_coco.read_text())["data"] | {"val_images": "nowhere/imgs"}
    data_file = _write(tmp_path / "bad.yaml", section)
    with pytest.raises(FileNotFoundError, match=r"val_images.*nowhere/imgs"):
        convert_dataset(data_file, tmp_path / "out", "coco", "yolo", progress=False)
