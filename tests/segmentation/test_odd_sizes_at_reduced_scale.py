"""``input.scale`` below 1 with FCN-VGG, and images of a few pixels at a reduced scale.

The batch is padded to a multiple of ``size_divisible`` *before* the ``input_scale`` resize,
so FCN-VGG (``size_divisible=32``) at scale 0.5 sees e.g. 64 x 80 for a 97 x 131 image: pools
that floor 2.5 to 2 would make the skip sums fail (``The size of tensor a (4) must match the
size of tensor b (5)``), and an 8 x 8 image would leave a 1-pixel map for the last pool to
empty. And a 1-pixel-high image at scale 0.5 must not be resized to 0 rows (``Input and output
sizes should be greater than 0``) by any segmenter.
"""

from __future__ import annotations

import pytest
import torch

from detseg.models import build_model
from detseg.segmentation.model import network_size, padded_side

NUM_CLASSES = 2


def _fcn_vgg(variant: str, scale: float) -> torch.nn.Module:
    torch.manual_seed(0)
    cfg = {"name": "fcn_vgg16", "variant": variant, "fc_channels": 16}
    return build_model({**cfg, "input": {"scale": scale}, "loss": {"size": "network"}}, NUM_CLASSES)


@pytest.mark.parametrize("variant", ["8s", "16s"])
@pytest.mark.parametrize("size", [(97, 131), (8, 8)])
def test_fcn_vgg_at_half_scale_takes_any_image_size(variant, size):
    model = _fcn_vgg(variant, 0.5)
    images = torch.rand(2, 3, *size)
    masks = torch.randint(0, NUM_CLASSES + 1, (2, *size))
    masks[0, : size[0] // 2] = 255
    losses = model.losses(images, masks)
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    assert model(images).shape == (2, NUM_CLASSES + 1, *size)
    assert model.predict(images[:1]).shape == (1, *size)


def test_fcn_vgg_at_full_scale_is_unchanged_by_the_rounding_pools():
    """Inputs padded to a multiple of 32: the round-up pools and crops change nothing."""
    model = _fcn_vgg("8s", 1.0).eval()
    torch.manual_seed(1)
    for module in model.head.modules():  # the skip convs start at zero: give them weights
        if isinstance(module, torch.nn.Conv2d):
            torch.nn.init.normal_(module.weight, std=0.1)
    images = torch.rand(1, 3, 70, 45)
    features, _ = model._features(images)
    head = model.head
    pool = torch.nn.functional.max_pool2d  # the floor pools of the head before the change
    scores = head.score_fr(torch.relu(head.fc7(torch.relu(head.fc6(pool(features["c5"], 2))))))
    scores = head.upscore2(scores) + head.score_pool4(pool(features["c4"], 2))
    scores = head.upscore_pool4(scores) + head.score_pool3(pool(features["c3"], 2))
    with torch.no_grad():
        torch.testing.assert_close(head(features), head.upscore_final(scores), rtol=0, atol=0)


def test_one_pixel_high_image_at_half_scale():
    model = _fcn_vgg("32s", 0.5).eval()
    assert model(torch.rand(1, 3, 1, 50)).shape == (1, NUM_CLASSES + 1, 1, 50)
    torch.manual_seed(0)
    cfg = {"name": "unet_backbone", "backbone": "resnet18", "input": {"scale": 0.5}}
    unet = build_model(cfg, 1).eval()
    assert unet(torch.rand(1, 3, 1, 50)).shape == (1, 2, 1, 50)
    assert unet(torch.rand(1, 3, 50, 1)).shape == (1, 2, 50, 1)


@pytest.mark.parametrize("scale", [1.0, 0.5, 0.3, 0.1])
@pytest.mark.parametrize("divisor", [1, 32])
def test_padded_side_keeps_a_network_pixel(scale, divisor):
    for side in range(1, 200):
        padded = padded_side(side, divisor, scale)
        usual = side + (-side) % divisor
        assert padded % divisor == 0 and network_size((padded, padded), scale)[0] >= 1
        assert padded == usual or int(usual * scale) < divisor, (side, padded)
