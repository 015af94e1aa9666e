"""save_rgb with the images a user has: uint8 drawings, float [0, 1] arrays and image tensors."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from detseg.data.image_io import read_image, read_image_array
from detseg.visualize import save_rgb


@pytest.fixture
def picture(tmp_path) -> tuple[np.ndarray, str]:
    """A ``uint8 [5, 7, 3]`` RGB picture and the PNG it was written to."""
    rgb = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    path = tmp_path / "picture.png"
    cv2.imwrite(str(path), rgb[:, :, ::-1])
    return rgb, str(path)


def _read_rgb(path) -> np.ndarray:
    return cv2.imread(str(path), cv2.IMREAD_COLOR)[:, :, ::-1]


def test_a_float_array_in_unit_range_is_written_as_its_picture(tmp_path, picture) -> None:
    rgb, source = picture
    save_rgb(tmp_path / "out.png", read_image_array(source))
    assert np.array_equal(_read_rgb(tmp_path / "out.png"), rgb)


def test_an_image_tensor_is_written_as_its_picture(tmp_path, picture) -> None:
    rgb, source = picture
    save_rgb(tmp_path / "out.png", read_image(source))
    assert np.array_equal(_read_rgb(tmp_path / "out.png"), rgb)


def test_a_uint8_picture_is_written_unchanged(tmp_path, picture) -> None:
    rgb, _ = picture
    save_rgb(tmp_path / "out.png", rgb)
    assert np.array_equal(_read_rgb(tmp_path / "out.png"), rgb)


@pytest.mark.parametrize(
    ("image", "message"),
    [
        (np.full((4, 4, 3), 200.0, dtype=np.float32), r"values in \[0, 1\], got 200\.\.200"),
        (np.zeros((4, 4, 3), dtype=np.int64), "got int64"),
        (np.zeros((4, 4, 4), dtype=np.uint8), r"got uint8 \(4, 4, 4\)"),
        (torch.zeros(4, 4, 3), r"\[3, H, W\], got shape \(4, 4, 3\)"),
    ],
)
def test_other_images_are_refused_with_one_line(tmp_path, image, message) -> None:
    path = tmp_path / "out.png"
    with pytest.raises(ValueError, match=message) as raised:
        save_rgb(path, image)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)
    assert not path.exists()
