"""``collate_segmentation`` names the sample whose mask does not have its image's size.

A custom dataset or transform that resizes the image only used to fail in the padding copy
with ``The expanded size of the tensor (5) must match the existing size (6)``.
"""

from __future__ import annotations

import pytest
import torch

from detseg.data.seg_loader import collate_segmentation


def test_a_mask_of_another_size_than_its_image_is_named():
    good = (torch.rand(3, 4, 5), torch.zeros(4, 5, dtype=torch.int64))
    bad = (torch.rand(3, 4, 5), torch.zeros(4, 6, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"sample 2 of the batch: mask shape \(4, 6\)"):
        collate_segmentation([good, None, bad])


def test_samples_of_different_sizes_still_pad():
    batch = collate_segmentation(
        [
            (torch.rand(3, 4, 5), torch.ones(4, 5, dtype=torch.int64)),
            None,
            (torch.rand(3, 6, 2), torch.full((6, 2), 2, dtype=torch.int64)),
        ]
    )
    assert batch.images.shape == (2, 3, 6, 5) and batch.skipped_images == 1
    assert batch.image_sizes == [(4, 5), (6, 2)]
    assert (batch.masks[0, 4:] == 255).all() and (batch.masks[1, :, 2:] == 255).all()
    assert (batch.masks[0, :4] == 1).all() and (batch.masks[1, :, :2] == 2).all()
