"""A JPEG 2000 (``.jp2``) image under 32 pixels on a side is refused in one line before
anything is written (OpenJPEG cannot compress it, and OpenCV's failure gives no reason); one
of 32 x 32 or more is written."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from detseg.visualize.saving import save_rgb


@pytest.mark.parametrize(("height", "width"), [(31, 40), (40, 31), (6, 8), (1, 100)])
def test_a_small_jpeg2000_image_is_refused(tmp_path, height, width):
    path = tmp_path / "small.jp2"
    with pytest.raises(ValueError) as caught:
        save_rgb(path, np.full((height, width, 3), 120, np.uint8))
    assert str(caught.value) == (
        f"cannot write image {path}: JPEG 2000 needs at least 32 x 32 pixels, the image is "
        f"{width} x {height} (width x height); use .png, or scale the image up"
    )
    assert list(tmp_path.iterdir()) == []


def test_the_suffix_is_read_in_any_case(tmp_path):
    with pytest.raises(ValueError, match="JPEG 2000 needs at least 32 x 32 pixels"):
        save_rgb(tmp_path / "small.JP2", np.zeros((8, 8), np.uint8))


def test_a_jpeg2000_image_of_32_by_32_is_written(tmp_path):
    path = tmp_path / "big.jp2"
    save_rgb(path, np.full((32, 32, 3), 120, np.uint8))
    assert cv2.imread(str(path)).shape == (32, 32, 3)


def test_a_small_image_in_another_format_is_written(tmp_path):
    save_rgb(tmp_path / "small.png", np.full((6, 8, 3), 120, np.uint8))
    assert cv2.imread(str(tmp_path / "small.png")).shape == (6, 8, 3)
