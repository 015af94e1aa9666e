"""Mistakes in a segmenter assembled from parts (docs/extending.md): a head reading a level
the backbone does not have, a head with ``K`` logits instead of ``K + 1``, a backbone that
returns a tensor instead of its dict of levels; each refused in one line that says what to fix.
"""

from __future__ import annotations

from collections import OrderedDict

import pytest
import torch
from torch import nn

from detseg.backbones import Backbone
from detseg.segmentation.heads import FCNHead
from detseg.segmentation.model import SegmentationModel


class TinyBackbone(Backbone):
    """One stride-4 level ``c2`` of 8 channels (or its bare tensor with ``as_dict=False``)."""

    def __init__(self, as_dict: bool = True) -> None:
        super().__init__()
        self.body = nn.Conv2d(3, 8, 3, stride=4, padding=1)
        self.out_channels = {"c2": 8}
        self.strides = {"c2": 4}
        self.as_dict = as_dict

    def forward(self, x: torch.Tensor) -> OrderedDict[str, torch.Tensor] | torch.Tensor:
        y = self.body(x)
        return OrderedDict(c2=y) if self.as_dict else y


def _losses(model: SegmentationModel) -> dict[str, torch.Tensor]:
    return model.losses(torch.rand(2, 3, 16, 16), torch.randint(0, 3, (2, 16, 16)))


def test_parts_that_fit() -> None:
    model = SegmentationModel(TinyBackbone(), FCNHead(8, 3, in_feature="c2"), num_classes=2)
    assert set(_losses(model)) == {"loss_seg"}


def test_head_reading_an_absent_level() -> None:
    with pytest.raises(ValueError, match=r"reads the level\(s\) \['c5'\] .* gives \['c2'\]"):
        SegmentationModel(TinyBackbone(), FCNHead(8, 3), num_classes=2)


def test_head_without_the_background_logit() -> None:
    model = SegmentationModel(TinyBackbone(), FCNHead(8, 2, in_feature="c2"), num_classes=2)
    with pytest.raises(ValueError, match=r"needs \[B, 3, h, w\] \(num_classes \+ 1"):
        _losses(model)
    with pytest.raises(ValueError, match=r"needs \[B, 3, h, w\]"):
        model.eval().predict(torch.rand(1, 3, 16, 16))


def test_backbone_returning_a_tensor() -> None:
    model = SegmentationModel(
        TinyBackbone(as_dict=False), FCNHead(8, 3, in_feature="c2"), num_classes=2
    )
    with pytest.raises(ValueError, match=r"backbone TinyBackbone returned Tensor; .*OrderedDict"):
        _losses(model)
