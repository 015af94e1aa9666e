"""The per-iteration schedules against torch's own schedulers, and a resumed scheduler."""

from __future__ import annotations

import copy

import pytest
import torch
from torch.optim.lr_scheduler import (
    ChainedScheduler,
    CosineAnnealingLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
)

from detseg.engine.solver import build_scheduler


def _optimizer(lrs: tuple[float, ...] = (0.1, 0.02)) -> torch.optim.SGD:
    groups = [{"params": [torch.nn.Parameter(torch.zeros(1))], "lr": lr} for lr in lrs]
    return torch.optim.SGD(groups, lr=lrs[0])


def _rates(optimizer: torch.optim.Optimizer, scheduler, steps: int) -> list[list[float]]:
    rates = []
    for _ in range(steps):
        rates.append([g["lr"] for g in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return rates


@pytest.mark.parametrize(
    ("schedule", "reference"),
    [
        ("multistep", lambda o: MultiStepLR(o, [6, 15], gamma=0.1)),
        ("cosine", lambda o: CosineAnnealingLR(o, 18)),
        ("poly", lambda o: PolynomialLR(o, 18, power=0.9)),
    ],
)
def test_schedules_equal_torch_with_linear_warmup(schedule, reference):
    # torchvision's detection reference: LinearLR warmup chained with the decay
    ours = _optimizer()
    sched = build_scheduler(
        ours, schedule, 3, 18, [2, 5], gamma=0.1, warmup_iters=4, warmup_factor=0.001
    )
    theirs = _optimizer()
    chain = ChainedScheduler([LinearLR(theirs, 0.001, 1.0, 4), reference(theirs)])
    got, want = _rates(ours, sched, 18), _rates(theirs, chain, 18)
    for g, w in zip(got, want, strict=True):
        assert g == pytest.approx(w, rel=1e-12, abs=1e-15)


def test_resumed_scheduler_continues_with_the_same_rates():
    optimizer = _optimizer()
    scheduler = build_scheduler(optimizer, "cosine", 4, 20, warmup_iters=5)
    _rates(optimizer, scheduler, 7)
    saved = copy.deepcopy((optimizer.state_dict(), scheduler.state_dict()))
    ahead = _rates(optimizer, scheduler, 13)
    again = _optimizer()
    resumed = build_scheduler(again, "cosine", 4, 20, warmup_iters=5)
    again.load_state_dict(saved[0])
    resumed.load_state_dict(saved[1])
    assert _rates(again, resumed, 13) == ahead
