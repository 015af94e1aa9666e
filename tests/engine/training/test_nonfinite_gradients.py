"""A finite loss with a non-finite gradient (a square root at 0) must not reach the weights:
with ``train.on_nonfinite: skip`` the step is dropped and counted like a non-finite loss, with
``stop`` (and ``train.grad_clip``, which measures the norm) training stops naming the step.
Without the check, the optimizer wrote NaN into every weight (clipping multiplies all gradients
by ``max_norm / nan``) and the run went on skipping NaN losses until the checkpoint refused it.
"""

from __future__ import annotations

import math
import warnings

import pytest
import torch
from fake_batches import FakeBatch, train_on_cpu
from torch import nn

from detseg.engine.training import EpochPosition, NonFiniteLossError, StepSettings


class SlopeModel(nn.Module):
    """``loss = (w - 3)^2``, plus ``sqrt(0 * w)`` (value 0, gradient NaN) for a target marked
    ``bad``, times NaN for one marked ``nan``; a BatchNorm whose running mean the forward pass
    moves."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.norm = nn.BatchNorm1d(1)

    def losses(self, images, targets):
        self.norm(torch.tensor([[1.0], [3.0]]))
        loss = (self.w - 3.0) ** 2
        if targets[0].get("bad"):
            loss = loss + (self.w * 0.0).sqrt()
        if targets[0].get("nan"):
            loss = loss * math.nan
        return {"loss": loss}


def _batch(image_id: int, bad: bool = False, nan: bool = False) -> FakeBatch:
    batch = FakeBatch([torch.zeros(3, 4, 4)], [{"bad": bad, "nan": nan}])
    batch.image_ids = [image_id]  # type: ignore[attr-defined]
    return batch


def _run(model: SlopeModel, loader: list[FakeBatch], settings: StepSettings):
    return train_on_cpu(model, loader, position=EpochPosition(start_iteration=4), settings=settings)


@pytest.mark.parametrize("grad_clip", [None, 100.0])
def test_skip_drops_a_step_with_a_non_finite_gradient(grad_clip):
    model = SlopeModel()
    settings = StepSettings(on_nonfinite="skip", grad_clip=grad_clip)
    stats = _run(model, [_batch(1), _batch(2, bad=True), _batch(3)], settings)
    # two good steps: w = 0.6, then 0.6 - 0.1 * 2 * (0.6 - 3) = 1.08
    assert model.w.item() == pytest.approx(1.08)
    assert stats.iterations == 3 and stats.skipped_steps == 1
    assert stats.losses["loss"] == pytest.approx((9.0 + 2.4**2) / 2)  # the good steps only
    assert model.norm.num_batches_tracked.item() == 2  # the dropped forward is undone


def test_stop_names_the_gradient_and_keeps_the_weights():
    model = SlopeModel()
    settings = StepSettings(on_nonfinite="stop", grad_clip=100.0)
    with pytest.raises(NonFiniteLossError, match=r"non-finite gradient at iteration 5") as info:
        _run(model, [_batch(1), _batch(2, bad=True), _batch(3)], settings)
    assert info.value.image_ids == [2]
    assert math.isnan(info.value.loss_terms["grad_norm"])
    assert model.w.item() == pytest.approx(0.6)  # the first step only, no NaN


def test_dropped_first_steps_raise_no_scheduler_warning():
    """The schedule moves past a dropped step on purpose: torch's "lr_scheduler.step() before
    optimizer.step()" warning (it would say a rate is skipped, none is) is not shown."""
    model = SlopeModel()
    loader = [_batch(1, nan=True), _batch(2, bad=True), _batch(3)]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        stats = _run(model, loader, StepSettings(on_nonfinite="skip"))
    assert stats.skipped_steps == 2
    assert model.w.item() == pytest.approx(0.6)
