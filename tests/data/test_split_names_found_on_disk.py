"""A split missing under the default keys names what the folder holds instead: a VOC folder's
split files (``train.txt`` / ``val.txt`` where the defaults read ``trainval`` / ``test``) with
the ``--set`` that picks them, a YOLO folder's split folders (``images/Train``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from detseg.data import build_dataset


def _voc(root: Path, splits: list[str]) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "JPEGImages").mkdir()
    (root / "ImageSets" / "Main").mkdir(parents=True)
    for split in splits:
        (root / "ImageSets" / "Main" / f"{split}.txt").write_text("a\n")
    return root


def test_voc_split_file_error_lists_the_split_files_and_the_keys_to_set(tmp_path):
    root = _voc(tmp_path / "voc", ["train", "val"])
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "voc", "root": str(root)}, "train")
    message = str(info.value)
    assert f"VOC split file not found: {root}/ImageSets/Main/trainval.txt; " in message
    assert "ImageSets/Main holds train.txt, val.txt " in message
    assert "(--set data.train_split=train data.val_split=val)" in message


def test_voc_split_hint_keeps_a_default_split_that_is_there(tmp_path):
    root = _voc(tmp_path / "voc", ["trainval", "val"])
    with pytest.raises(FileNotFoundError, match=r"ImageSets/Main holds trainval.txt, val.txt "):
        build_dataset({"format": "voc", "root": str(root)}, "val")
    with pytest.raises(FileNotFoundError, match=r"--set data.train_split=trainval data.val_split"):
        build_dataset({"format": "voc", "root": str(root)}, "val")


def test_voc_without_split_files_gives_the_plain_message(tmp_path):
    root = _voc(tmp_path / "voc", [])
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "voc", "root": str(root)}, "train")
    assert "holds" not in str(info.value)


def test_yolo_capitalized_split_folders_are_listed(tmp_path):
    for split in ("Train", "Val"):
        (tmp_path / "images" / split).mkdir(parents=True)
        Image.new("RGB", (8, 8)).save(tmp_path / "images" / split / "a.png")
        (tmp_path / "labels" / split).mkdir(parents=True)
    (tmp_path / "classes.txt").write_text("cat\n")
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "yolo", "root": str(tmp_path)}, "train")
    message = str(info.value)
    assert message.startswith("data.train_images: YOLO images folder not found: ")
    assert "(images holds the folders Train, Val; names are case-sensitive: " in message
    assert "did you mean images/Train?)" in message


def test_voc_devkit_split_files_come_before_the_per_class_files(tmp_path):
    classes = [f"{name}_{split}" for name in ("aeroplane", "bird") for split in ("train", "val")]
    root = _voc(tmp_path / "VOC2012", [*classes, "train", "trainval", "val"])
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "voc", "root": str(root)}, "val")
    assert (
        "ImageSets/Main holds train.txt, trainval.txt, val.txt, aeroplane_train.txt, "
        "aeroplane_val.txt and 2 more (--set data.train_split=trainval data.val_split=val); "
    ) in str(info.value)


def test_yolo_labels_folder_error_lists_the_folders_beside_it(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "Train").mkdir(parents=True)
    (tmp_path / "classes.txt").write_text("cat\n")
    with pytest.raises(FileNotFoundError) as info:
        build_dataset({"format": "yolo", "root": str(tmp_path)}, "train")
    assert "(labels holds the folders Train; names are case-sensitive: " in str(info.value)
