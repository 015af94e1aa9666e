"""ModelEMA on entries that must not move by rounding: tensors tied under two names, and
entries the trained model never changes (frozen weights, constant float buffers)."""

from __future__ import annotations

import torch
from torch import nn

from detseg.engine.solver import ModelEMA


class TiedNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.encoder = nn.Linear(2, 2, bias=False)
        self.decoder = nn.Linear(2, 2, bias=False)
        self.decoder.weight = self.encoder.weight  # one tensor, two state-dict names


def test_tied_weight_is_averaged_once_per_update():
    model = TiedNet()
    nn.init.constant_(model.encoder.weight, 0.0)
    ema = ModelEMA(model, decay=0.5, warmup=0)
    assert ema.model.encoder.weight is ema.model.decoder.weight
    for value, want in ((1.0, 0.5), (3.0, 1.75)):  # 0.5 * 0 + 0.5 * 1; 0.5 * 0.5 + 0.5 * 3
        with torch.no_grad():
            model.encoder.weight.fill_(value)
        ema.update(model)
        assert torch.equal(ema.model.encoder.weight, torch.full((2, 2), want))


class FrozenPartNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3)
        self.stem.requires_grad_(False)
        self.head = nn.Conv2d(8, 4, 1)
        self.register_buffer("priors", torch.tensor([10.0, 13.0, 30.0, 61.0, 116.0, 373.0]))


def test_entries_the_model_never_changes_stay_bit_exact():
    torch.manual_seed(0)
    model = FrozenPartNet()
    with torch.no_grad():
        model.stem.weight.mul_(100.0)
    ema = ModelEMA(model, decay=0.9998, warmup=100)
    for _ in range(300):
        with torch.no_grad():
            model.head.weight.add_(0.01)  # only the head trains
        ema.update(model)
    assert torch.equal(ema.model.stem.weight, model.stem.weight)
    assert torch.equal(ema.model.stem.bias, model.stem.bias)
    assert torch.equal(ema.model.priors, model.priors)
    assert not torch.equal(ema.model.head.weight, model.head.weight)  # the trained part lags
