"""ModelEMA: the moving average of the weights, against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from detseg.engine.solver import ModelEMA


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2, 1, bias=False)


def test_ema_follows_the_hand_computed_average():
    model = nn.Linear(1, 1, bias=False)
    nn.init.constant_(model.weight, 1.0)
    ema = ModelEMA(model, decay=0.5, warmup=0)
    for value in (3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update(model)
    # 0.5 * 1 + 0.5 * 3 = 2 ; 0.5 * 2 + 0.5 * 5 = 3.5
    assert ema.model.weight.item() == pytest.approx(3.5)
    assert ema.updates == 2 and not ema.model.weight.requires_grad


def test_ema_warmup_ramp_and_buffers():
    model = TinyNet()
    ema = ModelEMA(model, decay=0.9, warmup=2)
    assert ema.decay_at(1) == pytest.approx(0.9 * (1 - math.exp(-0.5)))
    model.bn.num_batches_tracked.fill_(7)
    with torch.no_grad():
        model.bn.running_mean.fill_(1.0)
    ema.update(model)
    d = ema.decay_at(1)
    assert ema.model.bn.running_mean[0].item() == pytest.approx(1.0 - d)  # averaged
    assert ema.model.bn.num_batches_tracked.item() == 7  # copied
