"""A 16-bit array or tensor (``cv2.imread(path, cv2.IMREAD_UNCHANGED)`` of a 16-bit PNG) is taken
as the 16-bit file itself is read (divided by 65535), not refused."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from detseg.api.inputs import as_images


@pytest.fixture
def sixteen_bit_png(tmp_path):
    rgb = np.zeros((5, 6, 3), np.uint16)
    rgb[..., 0], rgb[..., 1], rgb[..., 2] = 65535, 1000, 0
    path = tmp_path / "deep.png"
    assert cv2.imwrite(str(path), rgb[:, :, ::-1])
    return path, rgb


def test_a_uint16_array_is_read_as_its_file(sixteen_bit_png):
    path, rgb = sixteen_bit_png
    (from_file,), _ = as_images(path)
    (from_array,), single = as_images(cv2.imread(str(path), cv2.IMREAD_UNCHANGED), bgr=True)
    assert single and from_array.image.dtype == torch.float32
    assert torch.allclose(from_array.image, from_file.image)
    assert from_array.image[:, 0, 0].tolist() == pytest.approx([1.0, 1000 / 65535, 0.0])


def test_a_uint16_tensor_is_scaled_the_same(sixteen_bit_png):
    _, rgb = sixteen_bit_png
    (item,), _ = as_images(torch.from_numpy(rgb.transpose(2, 0, 1).copy()))
    assert item.image[:, 0, 0].tolist() == pytest.approx([1.0, 1000 / 65535, 0.0])


def test_other_integer_pixels_are_still_refused():
    with pytest.raises(ValueError, match="has dtype int64; pixels must be uint8 .0..255., uint16"):
        as_images(np.zeros((4, 4, 3), np.int64))


def test_a_big_endian_uint16_array_is_taken():
    (item,), _ = as_images(np.full((4, 4, 3), 65535, dtype=">u2"))
    assert float(item.image.min()) == 1.0
