"""The classic U-Net encoder on a map with one side of 1 pixel: only that side keeps its pixel.

The other side floors as everywhere else (1 x 7 -> 1 x 3, 9 x 1 -> 4 x 1), which is what a
traced export computes; a ``ceil_mode`` pool of the whole map rounded the long side up too
(1 x 7 -> 1 x 4), so the eager model and its trace answered differently on the same image.
"""

from __future__ import annotations

import warnings

import pytest
import torch

from detseg.models import build_model


def _unet() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model({"name": "unet", "depth": 3, "base_channels": 4}, 2).eval()


@pytest.mark.parametrize(
    ("size", "levels"),
    [
        ((1, 7), [(1, 7), (1, 3), (1, 1), (1, 1)]),
        ((9, 1), [(9, 1), (4, 1), (2, 1), (1, 1)]),
        ((1, 50), [(1, 50), (1, 25), (1, 12), (1, 6)]),
        ((3, 2), [(3, 2), (1, 1), (1, 1), (1, 1)]),
    ],
)
def test_only_the_one_pixel_side_rounds_up(size, levels):
    features = _unet().backbone(torch.rand(1, 3, *size))
    assert [tuple(f.shape[-2:]) for f in features.values()] == levels


@pytest.mark.parametrize("size", [(1, 7), (9, 1), (1, 50)])
def test_eager_logits_equal_the_traced_models(size):
    model = _unet()
    images = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(1))
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's notes on Python numbers
        traced = torch.jit.trace(model, images, check_trace=False)
        expected = model(images)
        torch.testing.assert_close(traced(images), expected, rtol=0, atol=0)
