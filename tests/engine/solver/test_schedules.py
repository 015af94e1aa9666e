"""LR schedules: warmup ramp and decays against values worked out by hand."""

from __future__ import annotations

import math

import pytest
import torch

from detseg.engine.solver import WarmupSchedule, build_scheduler


def test_multistep_with_linear_warmup():
    f = WarmupSchedule("multistep", 100, [50, 80], gamma=0.1, warmup_iters=10, warmup_factor=0.1)
    # warmup: 0.1 * (1 - it / 10) + it / 10
    assert f(0) == pytest.approx(0.1)
    assert f(5) == pytest.approx(0.55)
    assert f(9) == pytest.approx(0.91)
    assert f(10) == pytest.approx(1.0)
    assert f(49) == pytest.approx(1.0)
    assert f(50) == pytest.approx(0.1)
    assert f(79) == pytest.approx(0.1)
    assert f(80) == pytest.approx(0.01)


def test_cosine_and_constant():
    f = WarmupSchedule("cosine", 100)
    assert f(0) == pytest.approx(1.0)
    assert f(25) == pytest.approx(0.5 * (1 + math.sqrt(0.5)))
    assert f(50) == pytest.approx(0.5)
    assert f(100) == pytest.approx(0.0)
    assert f(150) == pytest.approx(0.0)
    g = WarmupSchedule("constant", 100, warmup_iters=4, warmup_factor=0.0)
    assert [g(i) for i in range(6)] == pytest.approx([0.0, 0.25, 0.5, 0.75, 1.0, 1.0])


def test_cosine_times_warmup():
    f = WarmupSchedule("cosine", 10, warmup_iters=2, warmup_factor=0.5)
    assert f(1) == pytest.approx(0.75 * 0.5 * (1 + math.cos(math.pi * 0.1)))


def test_build_scheduler_steps_per_iteration_with_milestones_in_epochs():
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=0.2)
    scheduler = build_scheduler(
        optimizer,
        "multistep",
        iters_per_epoch=3,
        total_iters=12,
        milestones_epochs=[2],
        gamma=0.5,
        warmup_iters=2,
        warmup_factor=0.5,
    )
    lrs = []
    for _ in range(8):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    # iterations 0..7: warmup 0.5, 0.75 then 1; milestone at epoch 2 = iteration 6 halves it.
    assert lrs == pytest.approx([0.1, 0.15, 0.2, 0.2, 0.2, 0.2, 0.1, 0.1])


def test_bad_arguments():
    with pytest.raises(ValueError, match="unknown schedule 'step'"):
        WarmupSchedule("step", 10)
    with pytest.raises(ValueError, match="milestones must be increasing"):
        WarmupSchedule("multistep", 10, [5, 2])
    optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=0.1)
    with pytest.raises(ValueError, match="iters_per_epoch must be >= 1"):
        build_scheduler(optimizer, "constant", 0, 10)


def test_poly_decay_as_torchvision_segmentation_reference():
    f = WarmupSchedule("poly", 100, power=0.9)
    assert f(0) == pytest.approx(1.0)
    assert f(50) == pytest.approx(0.5**0.9)
    assert f(75) == pytest.approx(0.25**0.9)
    assert f(100) == pytest.approx(0.0) and f(120) == pytest.approx(0.0)
    g = WarmupSchedule("poly", 10, warmup_iters=2, warmup_factor=0.5, power=1.0)
    assert g(1) == pytest.approx(0.75 * 0.9)
    with pytest.raises(ValueError, match="power"):
        WarmupSchedule("poly", 10, power=0.0)
