"""train_one_epoch on toy models whose updates can be computed by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch
from torch import nn

from detseg.engine.metric_log import MetricLogger, read_metrics
from detseg.engine.schedules import build_scheduler
from detseg.engine.train_loop import NonFiniteLossError, train_one_epoch


@dataclass
class FakeBatch:
    images: list[torch.Tensor]
    targets: list[dict] = field(default_factory=list)
    skipped_images: int = 0
    dropped_boxes: int = 0


class QuadraticModel(nn.Module):
    """losses = {"loss_a": (w - 3)^2, "loss_b": 0 * w}: w moves towards 3 by gradient descent."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images, targets):
        return {"loss_a": (self.w - 3.0) ** 2, "loss_b": self.w * 0.0}


class NaNModel(QuadraticModel):
    def losses(self, images, targets):
        return {"loss_a": self.w * float("nan"), "loss_b": self.w * 0.0 + 1.5}


def _batches(n: int) -> list[FakeBatch]:
    image = torch.zeros(3, 4, 4)
    return [FakeBatch([image], [{"boxes": torch.zeros(0, 4)}], 0, 0) for _ in range(n)]


def _run(model, loader, lr=0.1, **kwargs):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    return train_one_epoch(model, loader, optimizer, scheduler, torch.device("cpu"), 0, **kwargs)


def test_sgd_steps_match_hand_computation():
    model = QuadraticModel()
    stats = _run(model, _batches(2))
    # w1 = 0 - 0.1 * 2 * (0 - 3) = 0.6 ; w2 = 0.6 - 0.1 * 2 * (0.6 - 3) = 1.08
    assert model.w.item() == pytest.approx(1.08)
    assert stats.iterations == 2 and stats.images == 2
    # mean loss_a over the two steps: (9 + 2.4^2) / 2
    assert stats.losses["loss_a"] == pytest.approx((9.0 + 5.76) / 2)
    assert stats.losses["loss"] == pytest.approx((9.0 + 5.76) / 2)


def test_gradient_clipping():
    model = QuadraticModel()
    _run(model, _batches(1), grad_clip=0.5)
    # gradient -6 clipped to norm 0.5 -> w1 = 0.1 * 0.5
    assert model.w.item() == pytest.approx(0.05)


def test_max_iters_and_skipped_counts():
    model = QuadraticModel()
    loader = _batches(5)
    loader[0] = FakeBatch([], [], skipped_images=2, dropped_boxes=0)  # all images unreadable
    loader[1].dropped_boxes = 3
    stats = _run(model, loader, max_iters=2)
    assert stats.iterations == 2
    assert stats.skipped_images == 2 and stats.dropped_boxes == 3


def test_non_finite_loss_names_iteration_and_terms():
    model = NaNModel()
    with pytest.raises(NonFiniteLossError) as info:
        _run(model, _batches(3), start_iteration=7)
    message = str(info.value)
    assert "iteration 7" in message
    assert "loss_a=nan" in message and "loss_b=1.5" in message
    assert info.value.iteration == 7
    assert model.w.item() == 0.0  # no step was taken with the bad loss


def test_metric_log_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    with MetricLogger(path) as log:
        _run(QuadraticModel(), _batches(4), log_every=2, metric_log=log, start_iteration=10)
        log.log({"type": "val", "AP": float("nan")})
    records = read_metrics(path)
    assert [r["type"] for r in records] == ["train", "train", "val"]
    assert [r["iteration"] for r in records[:2]] == [11, 13]
    assert records[0]["lr"] == pytest.approx(0.1)
    assert {"loss", "loss_a", "loss_b", "img_per_s", "epoch", "time"} <= set(records[0])
    assert records[2]["AP"] == "nan"
