"""Numpy batches of gray ``[B, H, W, 1]`` and RGBA ``[B, H, W, 4]`` frames (``np.stack`` of
``cv2.imread(..., IMREAD_UNCHANGED)`` PNGs) are many images, as ``[B, 1, H, W]`` and
``[B, 4, H, W]`` tensors are: each read as the array of one such image is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.api.inputs import as_images


@pytest.mark.parametrize("channels", [1, 4])
def test_a_numpy_batch_of_gray_or_rgba_frames_is_many_images(channels):
    batch = np.random.default_rng(0).integers(0, 256, (3, 6, 5, channels), dtype=np.uint8)
    images, single = as_images(batch)
    assert not single and len(images) == 3
    for image, frame in zip(images, batch, strict=True):
        (expected,), _ = as_images(frame)
        assert image.image.shape == (3, 6, 5)
        assert torch.equal(image.image, expected.image)


def test_a_bgra_batch_is_reversed_and_loses_its_alpha():
    batch = np.random.default_rng(1).integers(0, 256, (2, 4, 4, 4), dtype=np.uint8)
    images, _ = as_images(batch, bgr=True)
    expected = torch.from_numpy(batch[1, :, :, 2::-1].copy()).permute(2, 0, 1) / 255.0
    assert torch.equal(images[1].image, expected)


def test_an_image_in_the_batch_is_named_in_errors():
    batch = np.zeros((2, 4, 4, 4), dtype=np.float32)
    batch[1] = 200.0
    with pytest.raises(ValueError, match=r"image 1 of the batch array: float image"):
        as_images(batch)
