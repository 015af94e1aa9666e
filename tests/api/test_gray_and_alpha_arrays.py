"""Gray ``[H, W]`` / ``[H, W, 1]`` and RGBA ``[H, W, 4]`` numpy arrays (``cv2.IMREAD_GRAYSCALE``,
a PNG with alpha), gray ``[1, H, W]`` and RGBA ``[4, H, W]`` tensors, and ``[B, H, W, 3]``
numpy batches are taken as image files of those kinds are read: gray repeated into three
channels, alpha dropped (no compositing)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from detseg.api.inputs import as_images
from detseg.data.image_io import read_image

RNG = np.random.default_rng(0)
GRAY = RNG.integers(0, 256, (6, 5), dtype=np.uint8)
RGBA = RNG.integers(0, 256, (6, 5, 4), dtype=np.uint8)


def _one(x, bgr: bool = False) -> torch.Tensor:
    images, single = as_images(x, bgr=bgr)
    assert single and len(images) == 1
    return images[0].image


@pytest.mark.parametrize("gray", [GRAY, GRAY[:, :, None]], ids=["HW", "HW1"])
def test_a_gray_array_is_read_as_a_gray_file_is(gray, tmp_path):
    path = tmp_path / "gray.png"
    assert cv2.imwrite(str(path), GRAY)
    assert torch.equal(_one(gray), read_image(path))
    assert torch.equal(_one(gray, bgr=True), read_image(path))


def test_an_rgba_array_drops_its_alpha_as_a_png_with_alpha_is_read(tmp_path):
    path = tmp_path / "alpha.png"
    assert cv2.imwrite(str(path), RGBA[:, :, [2, 1, 0, 3]])  # OpenCV writes BGRA
    assert torch.equal(_one(RGBA), read_image(path))
    assert torch.equal(_one(RGBA[:, :, [2, 1, 0, 3]], bgr=True), read_image(path))


def test_gray_and_rgba_tensors_are_taken_channels_first():
    rgb = torch.from_numpy(RGBA[:, :, :3].copy()).permute(2, 0, 1)
    assert torch.equal(_one(torch.from_numpy(RGBA).permute(2, 0, 1)), rgb / 255.0)
    gray = torch.from_numpy(GRAY)[None]
    assert torch.equal(_one(gray), gray.expand(3, -1, -1) / 255.0)
    images, single = as_images(torch.stack([gray, gray]))
    assert not single and len(images) == 2


def test_a_numpy_batch_is_many_images():
    batch = RNG.integers(0, 256, (3, 6, 5, 3), dtype=np.uint8)
    images, single = as_images(batch)
    assert not single
    expected = [torch.from_numpy(frame.copy()).permute(2, 0, 1) / 255.0 for frame in batch]
    assert all(torch.equal(i.image, e) for i, e in zip(images, expected, strict=True))


def test_other_channel_counts_are_still_refused():
    with pytest.raises(ValueError, match=r"numpy image of shape \(6, 5, 2\) is not \[H, W, 3\]"):
        as_images(np.zeros((6, 5, 2), np.uint8))
    with pytest.raises(ValueError, match=r"tensor of shape \(2, 6, 5\) is not \[3, H, W\]"):
        as_images(torch.zeros(2, 6, 5))
