"""Many images as users have them: a generator or ``Path.glob(...)`` is taken as a list; a
folder given as an image path says to give its images."""

from __future__ import annotations

import re
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from detseg.api.inputs import as_images


@pytest.fixture
def folder(tmp_path) -> Path:
    for i in range(3):
        assert cv2.imwrite(str(tmp_path / f"{i}.png"), np.full((8, 10, 3), 50 * i, np.uint8))
    return tmp_path


def test_a_glob_and_a_generator_are_many_images(folder):
    images, single = as_images(sorted(folder.glob("*.png")))
    globbed, glob_single = as_images(folder.glob("*.png"))
    assert not single and not glob_single and len(globbed) == 3
    assert {item.path for item in globbed} == {item.path for item in images}
    arrays, array_single = as_images(np.zeros((4, 5, 3), np.uint8) for _ in range(2))
    assert not array_single and [tuple(a.image.shape) for a in arrays] == [(3, 4, 5)] * 2
    assert as_images(iter([])) == ([], False)


def test_a_bad_item_of_a_generator_is_named_by_its_position():
    items = (x for x in [torch.rand(3, 4, 4), np.zeros((4, 4, 2))])
    with pytest.raises(ValueError, match=r"^item 1 of the input list: numpy image of shape"):
        as_images(items)


def test_a_folder_says_to_give_its_images(folder):
    message = f"{folder} is a folder, not an image file; give its images, e.g. predict(sorted("
    with pytest.raises(ValueError, match=re.escape(message)):
        as_images(folder)
    with pytest.raises(ValueError, match=re.escape(f"item 0 of the input list: {folder} is a")):
        as_images([str(folder)])
