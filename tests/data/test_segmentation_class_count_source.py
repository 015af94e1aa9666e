"""A segmentation class list is checked once, and each refusal names where the names come
from: more names than a label map holds beside its ignore value (254) blames the class file
(or ``data.classes``), not the label-map folder; names read from a ``classes.txt`` are blamed
by its lines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation, VOCSegmentation


def _folders(root: Path) -> tuple[Path, Path]:
    images, masks = root / "images", root / "masks"
    images.mkdir(parents=True)
    masks.mkdir()
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(images / "a.png")
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(masks / "a.png")
    return images, masks


TOO_MANY = [f"class{k}" for k in range(255)]


def test_too_many_classes_of_a_file_blame_the_file(tmp_path):
    images, masks = _folders(tmp_path)
    class_file = tmp_path / "classes.txt"
    class_file.write_text("\n".join(TOO_MANY) + "\n")
    with pytest.raises(ValueError) as caught:
        FolderSegmentation(images, masks, class_file)
    assert str(caught.value) == (
        f"{class_file}: 255 classes do not fit a label map with 255 as ignore value (at most 254)"
    )


def test_too_many_listed_classes_blame_data_classes(tmp_path):
    images, masks = _folders(tmp_path)
    with pytest.raises(ValueError, match=r"^data.classes: 255 classes do not fit"):
        FolderSegmentation(images, masks, TOO_MANY)


def test_a_repeated_name_of_a_file_is_placed_by_its_lines(tmp_path):
    images, masks = _folders(tmp_path)
    class_file = tmp_path / "classes.txt"
    class_file.write_text("cat\ndog\ncat \n")
    with pytest.raises(ValueError, match=r"classes.txt: class names must be unique.*lines 1, 3"):
        FolderSegmentation(images, masks, class_file)


def test_voc_seg_root_class_file_blamed_for_too_many_classes(tmp_path):
    root = tmp_path / "voc"
    for folder in ("JPEGImages", "SegmentationClass", "ImageSets/Segmentation"):
        (root / folder).mkdir(parents=True)
    (root / "classes.txt").write_text("\n".join(TOO_MANY) + "\n")
    with pytest.raises(ValueError, match=rf"^{root / 'classes.txt'}: 255 classes do not fit"):
        VOCSegmentation(root, "train")
