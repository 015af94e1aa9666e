"""DeepLabV3 on an undilated backbone (output stride 32) needs its ASPP rates named."""

from __future__ import annotations

import pytest
import torch

from detseg.segmentation import deeplabv3


def test_stride_32_asks_for_atrous_rates_and_then_answers_at_the_input_size() -> None:
    options = {"backbone": "mobilenet_v3_large", "backbone_weights": None, "width_mult": 0.25}
    with pytest.raises(ValueError, match=r"output_stride 8 or 16, got 32; pass atrous_rates"):
        deeplabv3(1, output_stride=32, **options)
    model = deeplabv3(1, output_stride=32, atrous_rates=(3, 6, 9), **options).eval()
    logits = model(torch.rand(1, 3, 37, 53))
    assert logits.shape == (1, 2, 37, 53)  # binary: background + one class, an odd size
