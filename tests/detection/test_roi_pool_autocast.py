"""RoIPool (Fast R-CNN, the VGG16 Faster R-CNN) under CPU bfloat16 autocast."""

from __future__ import annotations

from collections import OrderedDict

import torch

from detseg.detection.roi_pooling import RoIPooler


def test_roi_pool_under_cpu_bfloat16_autocast_matches_float32():
    torch.manual_seed(0)
    pooler = RoIPooler(["c4"], [16], output_size=3, kind="pool")
    feature = torch.rand(2, 4, 6, 8)
    # 119.9 / 16 and 87.9 / 16 round to the last column / row 7 and 5; the same coordinates
    # rounded to bfloat16 (120.0 and 88.0) round to 8 and 6: an RoI cast to bfloat16 pools
    # other bins
    boxes = [torch.tensor([[0.0, 0.0, 40.0, 30.0]]), torch.tensor([[16.0, 8.0, 119.9, 87.9]])]
    expected = pooler(OrderedDict(c4=feature), boxes)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        # under autocast the backbone's maps are bfloat16 while the RoIs stay float32
        pooled = pooler(OrderedDict(c4=feature.bfloat16()), boxes)
    assert pooled.dtype == torch.bfloat16
    # a max over bins picks one input value, and rounding to bfloat16 keeps the order of
    # values: the pooled map is the float32 one rounded to bfloat16, exactly
    assert torch.equal(pooled, expected.bfloat16())
