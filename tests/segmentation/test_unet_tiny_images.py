"""The classic U-Net answers at the input size for any ``H, W`` (its docstring), images smaller
than ``2**depth`` pixels included: a 1-pixel map used to pool to nothing (``Given input size:
(32x1x1). Calculated output size: (32x0x0). Output size is too small``)."""

from __future__ import annotations

import pytest
import torch

from detseg.models import build_model


@pytest.mark.parametrize("size", [(8, 8), (1, 50), (3, 2), (1, 1)])
@pytest.mark.parametrize("stem_stride", [1, 2])
def test_unet_takes_images_smaller_than_its_depth(size, stem_stride):
    torch.manual_seed(0)
    cfg = {"name": "unet", "depth": 3, "base_channels": 4, "stem_stride": stem_stride}
    model = build_model({**cfg, "deep_supervision": True}, 2)
    images = torch.rand(2, 3, *size)
    losses = model.losses(images, torch.randint(0, 3, (2, *size)))
    assert all(torch.isfinite(v) for v in losses.values())
    assert model.eval()(images).shape == (2, 3, *size)


def test_unet_pooling_of_other_sizes_is_unchanged():
    """Only a 1-pixel side rounds up; odd sizes still floor (97 -> 48 -> 24 -> 12)."""
    torch.manual_seed(0)
    model = build_model({"name": "unet", "depth": 3, "base_channels": 4}, 2).eval()
    features = model.backbone(torch.rand(1, 3, 97, 131))
    assert [tuple(f.shape[-2:]) for f in features.values()] == [
        (97, 131),
        (48, 65),
        (24, 32),
        (12, 16),
    ]
