"""``collate_segmentation`` refuses the sample mistakes of a segmentation dataset of one's own.

A mask made with ``to_tensor`` holds the labels divided by 255, all background once cast to
labels; a numpy mask breaks the padding copy with a ``TypeError``; an ``[H, W, 3]`` image makes its
mask look the wrong size; ``-1`` for ignored pixels is a device-side assert on a GPU. Each is one
line naming the batch position and the fix.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.data.seg_loader import collate_segmentation

IMAGE = torch.rand(3, 4, 5)
MASK = torch.tensor([[0, 1, 2, 255, 1]] * 4)


def test_a_mask_of_labels_divided_by_255_is_refused():
    with pytest.raises(ValueError, match=r"sample 1 of the batch: mask has fractional values"):
        collate_segmentation([(IMAGE, MASK), (IMAGE, MASK.float() / 255)])


def test_a_numpy_mask_is_named_with_the_conversion():
    with pytest.raises(ValueError, match=r"sample 0 of the batch: mask is a numpy.ndarray"):
        collate_segmentation([(IMAGE, MASK.numpy().astype(np.uint8))])


def test_a_channels_last_image_is_named_not_its_mask():
    with pytest.raises(ValueError, match=r"image has shape \(4, 5, 3\).*permute\(2, 0, 1\)"):
        collate_segmentation([(IMAGE.permute(1, 2, 0), MASK)])


def test_negative_ignore_labels_are_refused():
    with pytest.raises(ValueError, match=r"mask holds -1; .*255 for ignored pixels"):
        collate_segmentation([(IMAGE, torch.where(MASK == 255, -1, MASK))])


def test_whole_float_uint8_and_bool_masks_still_batch():
    batch = collate_segmentation(
        [(IMAGE, MASK.float()), None, (IMAGE, MASK.to(torch.uint8)), (IMAGE, MASK == 1)]
    )
    assert batch.masks.dtype == torch.int64 and batch.skipped_images == 1
    assert batch.masks[0].tolist() == MASK.tolist() == batch.masks[1].tolist()
    assert batch.masks[2].tolist() == (MASK == 1).long().tolist()
