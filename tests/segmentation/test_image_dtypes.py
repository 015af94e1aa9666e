"""Segmenters given float64 images (``torch.from_numpy(array / 255)``): normalisation brings
them to the model's dtype, so they segment as the same images in float32 do."""

from __future__ import annotations

import torch

from detseg.models import MODELS


def test_float64_images_segment_as_float32_images():
    torch.manual_seed(0)
    model = MODELS["unet"](2, depth=2, base_channels=4).eval()
    images = torch.rand(2, 3, 20, 28, dtype=torch.float64)
    with torch.no_grad():
        logits = model(images)
        expected = model(images.float())
    assert logits.dtype == torch.float32
    torch.testing.assert_close(logits, expected)
    losses = model.losses(images, torch.randint(0, 3, (2, 20, 28)))
    assert torch.isfinite(losses["loss_seg"])
