"""Inputs that only fail when their pixels are used: a lazily opened PIL image of a truncated
file is named like a truncated path is, and big-endian arrays are read, not refused by torch."""

from __future__ import annotations

import io

import numpy as np
import pytest
import torch
from PIL import Image

from detseg.api.inputs import as_images
from detseg.data.image_io import ImageReadError, read_image


def _truncated_jpeg_bytes() -> bytes:
    """A JPEG whose header is whole but whose pixel data stops half way."""
    pixels = np.random.default_rng(0).integers(0, 256, (64, 96, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    data = buffer.getvalue()
    return data[: len(data) // 2]


def test_a_truncated_file_opened_with_pil_names_the_file_and_the_item(tmp_path):
    path = tmp_path / "broken photo.jpg"
    path.write_bytes(_truncated_jpeg_bytes())
    with pytest.raises(ImageReadError, match="broken photo.jpg") as by_path:
        read_image(path)
    good = Image.fromarray(np.zeros((4, 4, 3), dtype=np.uint8))
    with Image.open(path) as opened:
        with pytest.raises(ImageReadError, match=r"broken photo\.jpg.*item 1 of the input list"):
            as_images([good, opened])
    assert by_path.value.path == path


def test_a_truncated_in_memory_pil_image_is_a_value_error():
    data = _truncated_jpeg_bytes()
    with Image.open(io.BytesIO(data)) as opened:
        with pytest.raises(ValueError, match="cannot read PIL image.*Pillow could not decode"):
            as_images(opened)


@pytest.mark.parametrize("dtype", [">f4", ">f8", ">u1"])
def test_big_endian_arrays_are_read_like_native_ones(dtype):
    native = np.linspace(0, 1, 2 * 3 * 3).reshape(2, 3, 3)
    if dtype == ">u1":
        native = (native * 255).round()
    expected = as_images(native.astype(dtype.replace(">", "=")))[0][0].image
    image = as_images(native.astype(dtype))[0][0].image
    assert image.dtype == torch.float32
    torch.testing.assert_close(image, expected)
