"""``format: folder_seg`` pairs images and label maps by file stem: two images of one stem
(``a.jpg`` and ``a.png``) would share one label map and one name, so that folder is an error
naming both files and the label map, not two samples."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation


def _folders(tmp_path, image_names):
    """An images and a masks folder: ``image_names`` (4x6 RGB) and ``masks/a.png``."""
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for name in image_names:
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / name)
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / "a.png")
    return images, masks


def test_two_images_of_one_stem_are_refused(tmp_path):
    images, masks = _folders(tmp_path, ["a.jpg", "a.png"])
    with pytest.raises(ValueError, match=r"a\.jpg.*a\.png.*share the stem 'a'") as info:
        FolderSegmentation(images, masks, ["x"])
    assert str(masks / "a.png") in str(info.value)
    assert "\n" not in str(info.value)


def test_distinct_stems_are_paired(tmp_path):
    images, masks = _folders(tmp_path, ["a.jpg"])
    dataset = FolderSegmentation(images, masks, ["x"])
    assert dataset.names == ["a"] and len(dataset) == 1
