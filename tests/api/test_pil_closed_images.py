"""A PIL image used after its ``with Image.open(...)`` block, its pixels never read: one error
naming the file and saying to predict inside the block, not Pillow's bare ``AssertionError``.
An image whose pixels were read in the block stays usable after it."""

from __future__ import annotations

import re

import cv2
import numpy as np
import pytest
from PIL import Image

from detseg.api.inputs import as_images
from detseg.data.image_io import ImageReadError


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_a_closed_pil_image_names_its_file(tmp_path, suffix):
    path = tmp_path / f"holiday photo{suffix}"
    assert cv2.imwrite(str(path), np.full((12, 16, 3), 80, dtype=np.uint8))
    with Image.open(path) as image:
        pass
    with pytest.raises(
        ImageReadError, match=re.escape(f"{path}: item 1 of the input list: its file is closed")
    ):
        as_images([np.zeros((4, 4, 3), np.uint8), image])
    with Image.open(path) as loaded:
        loaded.load()
    assert as_images(loaded)[0][0].image.shape == (3, 12, 16)
