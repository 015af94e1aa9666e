"""``format: folder_seg`` reads the images of ``data.train_images`` itself, not of folders inside
it. An images folder holding only subfolders is one error naming them, not "no image ... has a
label map of the same stem", which points at the label maps."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import FolderSegmentation


def test_an_images_folder_of_subfolders_names_them(tmp_path):
    images, masks = tmp_path / "images", tmp_path / "masks"
    for folder in (images / "cats", images / "dogs", masks / "cats"):
        folder.mkdir(parents=True)
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / "cats/a.png")
    Image.fromarray(np.zeros((4, 6), np.uint8)).save(masks / "cats/a.png")
    with pytest.raises(FileNotFoundError) as caught:
        FolderSegmentation(images, masks, ["x"])
    message = str(caught.value)
    assert message.startswith(f"no image in {images} (suffixes")
    assert "it holds the folder(s) cats, dogs" in message and "label map" not in message
