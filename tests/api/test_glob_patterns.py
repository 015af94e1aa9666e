"""A glob pattern given as an image path (``predict("photos/*.png")``) is its image files, sorted,
as ``tools/infer.py`` takes one; a pattern matching no image is one error naming it."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.api.inputs import as_images


@pytest.fixture
def folder(tmp_path) -> Path:
    for name, value in [("b.png", 100), ("a.png", 0), ("c.jpg", 200)]:
        assert cv2.imwrite(str(tmp_path / name), np.full((6, 7, 3), value, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    (tmp_path / "sub").mkdir()
    assert cv2.imwrite(str(tmp_path / "sub" / "d.png"), np.zeros((6, 7, 3), np.uint8))
    return tmp_path


def test_a_pattern_is_its_images_sorted(folder):
    images, single = as_images(str(folder / "*.png"))
    assert not single
    assert [item.path for item in images] == [folder / "a.png", folder / "b.png"]
    assert tuple(images[0].image.shape) == (3, 6, 7)


def test_a_pattern_skips_other_files_and_recurses_with_two_stars(folder):
    images, _ = as_images(str(folder / "**" / "*"))
    names = [item.path.name for item in images if item.path is not None]
    assert names == ["a.png", "b.png", "c.jpg", "d.png"]


def test_a_pattern_in_a_list_adds_its_images_in_place(folder):
    images, single = as_images([str(folder / "c.jpg"), str(folder / "[ab].png")])
    assert not single
    assert [item.path for item in images] == [folder / "c.jpg", folder / "a.png", folder / "b.png"]


def test_a_pattern_matching_no_image_is_one_error(folder):
    pattern = str(folder / "*.bmp")
    with pytest.raises(ValueError, match=r"^no image file matches the pattern .*\*\.bmp; "):
        as_images(pattern)
    with pytest.raises(ValueError, match=r"^item 1 of the input list: no image file matches"):
        as_images([str(folder / "a.png"), str(folder / "*.txt")])


def test_a_path_object_holding_a_pattern_is_expanded_too(folder):
    images, single = as_images(folder / "*.png")
    assert not single and [item.path for item in images] == [folder / "a.png", folder / "b.png"]
