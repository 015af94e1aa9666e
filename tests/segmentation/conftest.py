"""Shared fixtures of the segmentation tests."""

import pytest
import torch
from torch import nn


class AsymmetricSegmenter(nn.Module):
    """A position-dependent toy segmenter (no symmetry of its own), float64 for exact sums."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 4, 5, padding=2).double()
        with torch.no_grad():
            self.conv.weight.mul_(4)  # logits of order 1: the classes vary from pixel to pixel

    def forward(self, images):
        logits = self.conv(images)
        ramp = torch.linspace(-1, 1, images.shape[-1], dtype=images.dtype)  # left-right bias
        return logits + ramp * (torch.arange(4, dtype=images.dtype)[:, None, None] - 1.5)

    def predict(self, images):
        return self.forward(images).argmax(dim=1)


@pytest.fixture
def asymmetric_segmenter() -> AsymmetricSegmenter:
    """A fixed toy segmenter with no symmetry: flips, rotations and scales change its answer."""
    return AsymmetricSegmenter()
