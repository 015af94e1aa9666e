"""Common mistakes in a segmentation class list or label-map names give one clear error."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation, VOCSegmentation
from detseg.data.registry import build_segmentation_dataset


def _folder(root: Path, mask_name: str = "a.png") -> Path:
    (root / "images" / "train").mkdir(parents=True)
    (root / "masks" / "train").mkdir(parents=True)
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(root / "images" / "train" / "a.jpg")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(root / "masks" / "train" / mask_name)
    return root


@pytest.mark.parametrize("first", ["background", "_background_", "Background"])
def test_a_classes_txt_that_lists_background_names_the_file(tmp_path, first):
    root = _folder(tmp_path)
    (root / "classes.txt").write_text(f"{first}\ncat\n")
    with pytest.raises(ValueError) as err:
        build_segmentation_dataset({"format": "folder_seg", "root": str(root)}, "train")
    message = str(err.value)
    assert str(root / "classes.txt") in message and "label 0 is always background" in message


def test_a_class_list_that_lists_background_is_refused(tmp_path):
    root = _folder(tmp_path)
    with pytest.raises(ValueError, match="data.classes: the first class is 'background'"):
        FolderSegmentation(root / "images/train", root / "masks/train", ["background", "cat"])


def test_a_voc_class_list_that_lists_background_is_refused(tmp_path):
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (tmp_path / folder).mkdir(parents=True)
    (tmp_path / "ImageSets/Segmentation/train.txt").write_text("a\n")
    with pytest.raises(ValueError, match="remove it from the class list"):
        VOCSegmentation(tmp_path, "train", ["background", "cat"])


def test_a_class_named_background_elsewhere_in_the_list_is_kept(tmp_path):
    root = _folder(tmp_path)
    dataset = FolderSegmentation(root / "images/train", root / "masks/train", ["cat", "background"])
    assert dataset.classes == ["cat", "background"]


def test_label_maps_with_another_ending_name_the_mask_suffix_to_set(tmp_path):
    root = _folder(tmp_path, "a_mask.png")
    with pytest.raises(FileNotFoundError, match=r"set data.mask_suffix=_mask\.png$"):
        FolderSegmentation(root / "images/train", root / "masks/train", ["cat"])
