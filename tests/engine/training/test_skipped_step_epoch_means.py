"""The epoch's mean losses (``EpochStats.losses``, the ``epoch`` record) under
``train.on_nonfinite: skip``: a dropped step's non-finite terms are left out, so one bad batch
does not turn the epoch's means into NaN, and the means are those of the steps taken."""

from __future__ import annotations

import math

import pytest
import torch
from fake_batches import FakeBatch
from torch import nn

from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch
from detseg.engine.training.epoch_loop import epoch_record


class _NaNOnOnes(nn.Module):
    """loss_a = (w - 3)^2, NaN on a batch whose image is all ones."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images, targets):
        scale = float("nan") if images[0].mean() == 1.0 else 1.0
        return {"loss_a": (self.w - 3.0) ** 2 * scale}


def _batch(value: float) -> FakeBatch:
    return FakeBatch([torch.full((3, 2, 2), value)])


def _epoch(values: list[float], accumulate: int = 1):
    model = _NaNOnOnes()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    settings = StepSettings(on_nonfinite="skip", accumulate=accumulate)
    loader = [_batch(v) for v in values]
    return train_one_epoch(
        model, loader, optimizer, scheduler, torch.device("cpu"), settings=settings
    )


def test_a_skipped_step_is_left_out_of_the_epoch_means():
    stats = _epoch([0.0, 1.0, 0.0])
    assert stats.iterations == 3 and stats.skipped_steps == 1
    # the two steps taken: w = 0 (loss 9), then w = 0.6 (loss 2.4^2)
    assert stats.losses["loss_a"] == pytest.approx((9.0 + 5.76) / 2)
    assert stats.losses["loss"] == pytest.approx((9.0 + 5.76) / 2)
    record = epoch_record(0, 3, stats)
    assert record["loss"] == pytest.approx(7.38) and record["skipped_steps"] == 1


def test_a_dropped_group_is_left_out_of_the_epoch_means():
    stats = _epoch([0.0, 1.0, 0.0, 0.0], accumulate=2)  # the first group is dropped
    assert stats.skipped_steps == 1
    assert stats.losses["loss"] == pytest.approx(9.0)  # the second group, at w = 0


def test_an_epoch_of_skipped_steps_only_has_no_mean_loss():
    stats = _epoch([1.0, 1.0])
    assert stats.skipped_steps == stats.iterations == 2
    assert all(math.isfinite(v) for v in stats.losses.values())
    assert "loss" not in epoch_record(0, 2, stats)
