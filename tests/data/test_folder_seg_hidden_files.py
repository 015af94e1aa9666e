"""``format: folder_seg`` leaves hidden files out of both folders, as the Python API's folder
scan does: macOS writes ``._a.png`` beside each file copied to a shared drive, metadata that no
reader decodes: read as images they would be training samples that fail to decode, and read as
label maps they would be listed as lacking an image."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation


def _folders(tmp_path, names):
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    for name in names:
        Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / name)
        Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / name)
    return images, masks


def test_hidden_images_and_label_maps_are_left_out(tmp_path, caplog):
    images, masks = _folders(tmp_path, ["a.png", "._a.png"])
    with caplog.at_level(logging.WARNING):
        dataset = FolderSegmentation(images, masks, ["x"])
    assert [dataset.image_path(i).name for i in range(len(dataset))] == ["a.png"]
    assert not [r for r in caplog.records if "._a.png" in r.getMessage()]


def test_a_folder_of_hidden_images_only_says_so(tmp_path):
    images, masks = _folders(tmp_path, ["._a.png", "._b.png"])
    with pytest.raises(FileNotFoundError) as caught:
        FolderSegmentation(images, masks, ["x"])
    assert "its 2 image file(s) are hidden (e.g. ._a.png: macOS metadata files)" in str(
        caught.value
    )
