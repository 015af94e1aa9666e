"""RoIPool (Fast R-CNN, the VGG16 Faster R-CNN) under CPU bfloat16 autocast."""

from __future__ import annotations

from collections import OrderedDict

import torch

from detseg.detection.roi_pooling import RoIPooler


def test_roi_pool_under_cpu_bfloat16_autocast_matches_float32():
    torch.manual_seed(0)
    pooler = RoIPooler(["c4"], [16], output_size=3, kind="pool")
    feature = torch.rand(2, 4, 6, 8)
    boxes = [torch.tensor([[0.0, 0.0, 40.0, 30.0]]), torch.tensor([[16.0, 8.0, 120.0, 90.0]])]
    expected = pooler(OrderedDict(c4=feature), boxes)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        # under autocast the backbone's maps are bfloat16 while the RoIs stay float32
        pooled = pooler(OrderedDict(c4=feature.bfloat16()), boxes)
    assert pooled.dtype == torch.bfloat16
    torch.testing.assert_close(pooled.float(), expected, atol=1e-2, rtol=1e-2)
