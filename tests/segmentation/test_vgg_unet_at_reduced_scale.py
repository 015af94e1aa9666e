"""A U-Net on a VGG pyramid (``size_divisible=16``) at ``input.scale < 1`` labels small images.

The image is padded to a multiple of 16 before the resize, so at scale 0.5 a 17 x 9 image
reached the network as 16 x 8 and VGG's floor pools emptied its width before the stride-16
level (``Output size is too small``). ``padded_side`` pads further where the resized side
would be shorter than ``size_divisible``.
"""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation.builders import unet_backbone
from detseg.segmentation.model import network_size, padded_side


@pytest.mark.parametrize("scale", [0.5, 0.3])
@pytest.mark.parametrize("size", [(17, 9), (1, 5), (33, 47)])
def test_vgg_unet_at_reduced_scale_labels_every_pixel(scale, size):
    torch.manual_seed(0)
    model = unet_backbone(2, backbone="vgg16", input={"scale": scale}).eval()
    images = torch.rand(2, 3, *size)
    with torch.no_grad():
        logits = model(images)
    assert logits.shape == (2, 3, *size) and torch.isfinite(logits).all()
    masks = torch.randint(0, 3, (2, *size))
    losses = model.train().losses(images, masks)
    assert all(torch.isfinite(value) for value in losses.values())


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.3, 1 / 3])
@pytest.mark.parametrize("divisor", [1, 16, 32])
def test_the_network_sees_at_least_size_divisible_pixels_a_side(scale, divisor):
    for side in range(1, 120):
        padded = padded_side(side, divisor, scale)
        assert padded % divisor == 0 and padded >= side
        assert network_size((padded, padded), scale)[0] >= divisor, (side, padded)
        usual = side + (-side) % divisor
        assert padded == usual or int(usual * scale) < divisor, (side, padded)
