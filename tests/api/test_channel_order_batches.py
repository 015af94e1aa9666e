"""A batch in the other channel order (a numpy ``[B, 3, H, W]`` from ``tensor.numpy()``, a
tensor ``[B, H, W, 3]`` from ``torch.from_numpy(np.stack(frames))``) is refused with the call
that reorders it, as a single image in the other order is."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from detseg.api.image_stream import stream_inputs
from detseg.api.inputs import as_images

NUMPY_HINT = (
    "(a channels-first batch? numpy batches are [B, H, W, 3]: use array.transpose(0, 2, 3, 1)"
)
TENSOR_HINT = (
    "(a channels-last batch? tensor batches are [B, 3, H, W]: use images.permute(0, 3, 1, 2))"
)


def test_a_channels_first_numpy_batch_names_the_transpose():
    batch = np.zeros((2, 3, 5, 6), np.float32)
    with pytest.raises(ValueError, match=re.escape(NUMPY_HINT)):
        as_images(batch)
    # the transpose named gives the two images
    images, single = as_images(batch.transpose(0, 2, 3, 1))
    assert not single and [tuple(i.image.shape) for i in images] == [(3, 5, 6)] * 2


def test_a_channels_last_tensor_batch_names_the_permute():
    batch = torch.zeros(2, 5, 6, 3, dtype=torch.uint8)
    with pytest.raises(ValueError, match=re.escape(TENSOR_HINT)):
        as_images(batch)
    with pytest.raises(ValueError, match=re.escape(TENSOR_HINT)):
        list(stream_inputs(batch))
    images, single = as_images(batch.permute(0, 3, 1, 2))
    assert not single and [tuple(i.image.shape) for i in images] == [(3, 5, 6)] * 2
