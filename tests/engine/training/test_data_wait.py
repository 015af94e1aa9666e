"""``data_wait``: the share of the loop's time spent waiting on the loader, per step, per
record and per epoch."""

from __future__ import annotations

import time

import torch
from fake_batches import FakeBatch, train_on_cpu
from torch import nn

from detseg.engine.records import MetricLogger, read_metrics
from detseg.engine.training import StepSettings

PAUSE = 0.05  # seconds: far above the cost of a toy step


class SlowLoader:
    """Batches that each take ``delay`` seconds to arrive."""

    def __init__(self, n: int, delay: float) -> None:
        self.n, self.delay = n, delay

    def __len__(self) -> int:
        return self.n

    def __iter__(self):
        for _ in range(self.n):
            time.sleep(self.delay)
            yield FakeBatch([torch.zeros(3, 2, 2)])


class Quadratic(nn.Module):
    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))
        self.delay = delay

    def losses(self, images, targets):
        time.sleep(self.delay)
        return {"loss_a": (self.w - 3.0) ** 2}


def test_a_slow_loader_shows_as_waiting(tmp_path):
    steps = []
    with MetricLogger(tmp_path / "metrics.jsonl") as log:
        stats = train_on_cpu(
            Quadratic(),
            SlowLoader(4, PAUSE),
            settings=StepSettings(log_every=2),
            metric_log=log,
            after_step=lambda info: steps.append(info.data_wait) and False,
        )
    assert len(steps) == 4 and all(0.5 < share <= 1.0 for share in steps)
    assert 0.5 < stats.data_wait <= 1.0
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert [r["iteration"] for r in records] == [1, 3]
    assert all(0.5 < r["data_wait"] <= 1.0 for r in records)


def test_a_slow_model_shows_as_not_waiting():
    steps = []
    stats = train_on_cpu(
        Quadratic(delay=PAUSE),
        SlowLoader(3, 0.0),
        after_step=lambda info: steps.append(info.data_wait) and False,
    )
    assert len(steps) == 3 and all(0.0 <= share < 0.5 for share in steps)
    assert 0.0 <= stats.data_wait < 0.5


def test_accumulated_batches_all_count_towards_their_step():
    steps = []
    stats = train_on_cpu(
        Quadratic(),
        SlowLoader(4, PAUSE),
        settings=StepSettings(accumulate=2),
        after_step=lambda info: steps.append(info.data_wait) and False,
    )
    assert stats.iterations == 2 and len(steps) == 2
    assert all(0.5 < share <= 1.0 for share in steps)
    assert stats.seconds >= 4 * PAUSE
    assert 0.5 < stats.data_wait <= 1.0
