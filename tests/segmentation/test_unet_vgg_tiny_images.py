"""A U-Net on a VGG pyramid labels images smaller than its stride: the normalised image is
padded to a multiple of 16 (VGG's plain 2x2 pools leave nothing of a smaller side)."""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation.builders import unet_backbone


@pytest.mark.parametrize("size", [(1, 1), (5, 5), (7, 13), (15, 17), (33, 47)])
def test_vgg_unet_labels_every_pixel_of_a_small_image(size):
    torch.manual_seed(0)
    model = unet_backbone(3, backbone="vgg16").eval()
    images = torch.rand(2, 3, *size)
    with torch.no_grad():
        logits = model(images)
    assert logits.shape == (2, 4, *size) and torch.isfinite(logits).all()
    loss = model.train().losses(images, torch.randint(0, 4, (2, *size)))
    assert all(torch.isfinite(value) for value in loss.values())
