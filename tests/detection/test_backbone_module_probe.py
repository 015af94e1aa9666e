"""A backbone module of one's own is run once when the detector is built and checked against
its declared levels, channels and strides (``detection/backbone_probe.py``): a mistake is one
``ValueError`` naming the backbone and the level, not a shape error in the first step or, for a
wrong stride, anchors silently at the wrong places."""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn

from detseg.detection.faster_rcnn import faster_rcnn
from detseg.detection.retinanet import retinanet


class TwoLevels(nn.Module):
    """Levels c3 (stride 8, 16 channels) and c4 (stride 16, 32 channels), with what it
    declares overridable to break the contract one way at a time."""

    def __init__(self, declared_channels=None, declared_strides=None, returns="dict"):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 16, 3, stride=8, padding=1), nn.BatchNorm2d(16))
        self.down = nn.Conv2d(16, 32, 3, stride=2, padding=1)
        self.out_channels = declared_channels or {"c3": 16, "c4": 32}
        self.strides = declared_strides or {"c3": 8, "c4": 16}
        self.returns = returns

    def forward(self, x):
        c3 = self.stem(x)
        c4 = self.down(c3)
        if self.returns == "tensor":
            return c4
        if self.returns == "swapped":
            return OrderedDict(c4=c4, c3=c3)
        return OrderedDict(c3=c3, c4=c4)


def _build(backbone, family):
    if family == "faster_rcnn":
        return faster_rcnn(3, backbone=backbone, fpn=True, min_size=64, max_size=64)
    return retinanet(3, backbone=backbone, min_size=64, max_size=64)


@pytest.mark.parametrize("family", ["faster_rcnn", "retinanet"])
def test_a_backbone_that_keeps_its_contract_builds_and_keeps_its_mode(family):
    backbone = TwoLevels()
    before = backbone.stem[1].running_mean.clone()
    model = _build(backbone, family)
    assert backbone.training  # the probe's eval mode is put back
    assert torch.equal(backbone.stem[1].running_mean, before)  # no statistics updated
    model.eval()
    with torch.no_grad():
        [prediction] = model.predict([torch.rand(3, 64, 64)])
    assert prediction["boxes"].shape[-1] == 4


@pytest.mark.parametrize("family", ["faster_rcnn", "retinanet"])
@pytest.mark.parametrize(
    ("backbone", "message"),
    [
        (TwoLevels(returns="tensor"), "backbone module TwoLevels returned Tensor, not a dict"),
        (TwoLevels(returns="swapped"), "returned the levels ['c4', 'c3'] but declares"),
        (
            TwoLevels(declared_channels={"c3": 16, "c4": 64}),
            "level 'c4' has shape (1, 32, 4, 4) on a [1, 3, 64, 64] input, but out_channels "
            "declares [1, 64, h, w]",
        ),
        (
            TwoLevels(declared_strides={"c3": 4, "c4": 8}),
            "level 'c3' is 4 x 4 on a 32 x 32 input, but its declared stride 4 gives 8 x 8",
        ),
    ],
)
def test_a_broken_contract_is_named_when_the_detector_is_built(family, backbone, message):
    with pytest.raises(ValueError) as raised:
        _build(backbone, family)
    assert message in str(raised.value)
    assert "contract of detseg.backbones.Backbone" in str(raised.value)
