"""On images resized to a few dozen pixels high, detseg pools at ``1 / stride`` while
torchvision's ``MultiScaleRoIAlign`` infers twice that scale from the padded feature height.

A 12 x 256 image is padded to 32 x 256 (a multiple of 32); its stride-4 map is 8 x 64, and
torchvision's ``2 ** round(log2(8 / 12))`` is 0.5 instead of 0.25 (``roi_pooling.py`` explains).
"""

from collections import OrderedDict

import torch
from torchvision.ops import MultiScaleRoIAlign, roi_align

from detseg.detection.roi_pooling import RoIPooler


def _inputs() -> tuple[OrderedDict[str, torch.Tensor], list[torch.Tensor]]:
    generator = torch.Generator().manual_seed(0)
    features = OrderedDict(p2=torch.rand(1, 2, 8, 64, generator=generator))  # 32 x 256 / 4
    return features, [torch.tensor([[4.0, 2.0, 60.0, 11.0], [100.0, 0.0, 200.0, 12.0]])]


def test_detseg_pools_at_the_declared_stride() -> None:
    features, boxes = _inputs()
    got = RoIPooler(["p2"], [4], output_size=7, sampling_ratio=2)(features, boxes)
    rois = torch.cat([torch.zeros(2, 1), boxes[0]], dim=1)
    want = roi_align(features["p2"], rois, 7, spatial_scale=0.25, sampling_ratio=2)
    torch.testing.assert_close(got, want, atol=0, rtol=0)


def test_torchvision_infers_half_instead_of_a_quarter() -> None:
    features, boxes = _inputs()
    theirs = MultiScaleRoIAlign(["p2"], 7, 2)
    tv_pooled = theirs(features, boxes, [(12, 256)])
    assert theirs.scales == [0.5]
    ours = RoIPooler(["p2"], [4], output_size=7, sampling_ratio=2)(features, boxes)
    assert not torch.allclose(ours, tv_pooled)
