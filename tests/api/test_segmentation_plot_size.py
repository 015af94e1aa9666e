"""``SegmentationResult.plot``'s docstring tells its size: with a legend the picture is wider
than the input and at least as tall as the legend (a 1x1 input gives a picture many pixels
tall), without one ``[H, W, 3]``."""

from __future__ import annotations

import numpy as np
import torch

from detseg.api.results import SegmentationResult


def _label_map(height: int, width: int) -> SegmentationResult:
    mask = torch.zeros(height, width, dtype=torch.int64)
    mask[0, 0] = 1
    image = np.zeros((height, width, 3), np.uint8)
    return SegmentationResult(mask, torch.zeros(3, height, width), ["cat", "dog"], image)


def test_a_small_image_is_padded_to_the_legend_as_the_docstring_says():
    doc = " ".join((SegmentationResult.plot.__doc__ or "").split())
    assert "wider than the input, and at least as tall as the legend" in doc
    tiny = _label_map(1, 1)
    for legend in (True, "all"):
        drawn = tiny.plot(legend=legend)
        assert drawn.shape[0] > 1 and drawn.shape[1] > 1
        assert not drawn[1:, 0].any()  # black below the image
    assert tiny.plot(legend=False).shape == (1, 1, 3)
    tall = _label_map(200, 50).plot()
    assert tall.shape[0] == 200 and tall.shape[1] > 50
