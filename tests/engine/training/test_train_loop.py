"""train_one_epoch on toy models whose updates can be computed by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
import torch
from fake_batches import FakeBatch, LinearModel
from torch import nn

from detseg.engine.records import MetricLogger, read_metrics
from detseg.engine.solver import build_scheduler
from detseg.engine.training import (
    EpochPosition,
    NonFiniteLossError,
    StepSettings,
    train_one_epoch,
)


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
    return train_one_epoch(model, loader, optimizer, scheduler, torch.device("cpu"), **kwargs)


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
    _run(model, _batches(1), settings=StepSettings(grad_clip=0.5))
    # gradient -6 clipped to norm 0.5 -> w1 = 0.1 * 0.5
    assert model.w.item() == pytest.approx(0.05)


def test_max_iters_and_skipped_counts():
    model = QuadraticModel()
    loader = _batches(5)
    loader[0] = FakeBatch([], [], skipped_images=2, dropped_boxes=0)  # all images unreadable
    loader[1].dropped_boxes = 3
    stats = _run(model, loader, position=EpochPosition(max_iters=2))
    assert stats.iterations == 2
    assert stats.skipped_images == 2 and stats.dropped_boxes == 3


def test_non_finite_loss_names_iteration_and_terms():
    model = NaNModel()
    with pytest.raises(NonFiniteLossError) as info:
        _run(model, _batches(3), position=EpochPosition(start_iteration=7))
    message = str(info.value)
    assert "iteration 7" in message
    assert "loss_a=nan" in message and "loss_b=1.5" in message
    assert info.value.iteration == 7
    assert model.w.item() == 0.0  # no step was taken with the bad loss


def test_metric_log_records(tmp_path):
    path = tmp_path / "metrics.jsonl"
    with MetricLogger(path) as log:
        _run(
            QuadraticModel(),
            _batches(4),
            position=EpochPosition(start_iteration=10),
            settings=StepSettings(log_every=2),
            metric_log=log,
        )
        log.log({"type": "val", "AP": float("nan")})
    records = read_metrics(path)
    assert [r["type"] for r in records] == ["train", "train", "val"]
    assert [r["iteration"] for r in records[:2]] == [11, 13]
    assert records[0]["lr"] == pytest.approx(0.1)
    assert {"loss", "loss_a", "loss_b", "img_per_s", "epoch", "time"} <= set(records[0])
    assert records[2]["AP"] == "nan"


@dataclass
class IdBatch(FakeBatch):
    image_ids: list[int] = field(default_factory=list)


def _image(value: float) -> torch.Tensor:
    return torch.full((3, 2, 2), value)


def test_accumulating_two_batches_equals_one_batch_of_both():
    values = [1.0, 2.0, 3.0, 0.5]
    together = [IdBatch([_image(values[i]), _image(values[i + 1])]) for i in (0, 2)]
    single = [IdBatch([_image(v)]) for v in values]
    big, accumulated = LinearModel(), LinearModel()
    stats_big = _run(big, together, lr=0.05)
    stats_acc = _run(accumulated, single, lr=0.05, settings=StepSettings(accumulate=2))
    assert stats_acc.iterations == stats_big.iterations == 2 and stats_acc.batches == 4
    # step 1: grad = mean_i 2 x_i (w x_i - 1) at w=0 = -(1 + 2) = -3 -> w = 0.15
    # step 2: x = 3, 0.5: grad = (2*3*(0.45 - 1) + 2*0.5*(0.075 - 1)) / 2 = -2.1125 -> 0.255625
    assert big.w.item() == pytest.approx(0.255625)
    assert accumulated.w.item() == pytest.approx(big.w.item(), abs=1e-7)
    assert stats_acc.losses["loss"] == pytest.approx(stats_big.losses["loss"])


def test_an_odd_last_group_is_averaged_over_its_own_batches():
    model = LinearModel()
    loader = [IdBatch([_image(v)]) for v in (1.0, 2.0, 3.0)]
    stats = _run(model, loader, lr=0.05, settings=StepSettings(accumulate=2))
    assert stats.iterations == 2
    # step 1 as above (w = 0.15); step 2 has one batch, x = 3: grad 2*3*(0.45-1) = -3.3
    assert model.w.item() == pytest.approx(0.15 + 0.05 * 3.3)


class SometimesNaN(QuadraticModel):
    """NaN on the batches whose image is all ones."""

    def losses(self, images, targets):
        scale = float("nan") if images[0].mean() == 1.0 else 1.0
        return {"loss_a": (self.w - 3.0) ** 2 * scale}


def test_skip_mode_drops_the_bad_step_and_counts_it():
    model = SometimesNaN()
    loader = [
        IdBatch([_image(0.0)], image_ids=[5]),
        IdBatch([_image(1.0)], image_ids=[6]),
        IdBatch([_image(0.0)], image_ids=[7]),
    ]
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    seen = []
    stats = train_one_epoch(
        model,
        loader,
        optimizer,
        scheduler,
        torch.device("cpu"),
        settings=StepSettings(on_nonfinite="skip"),
        after_step=lambda info: seen.append((info.iteration, info.skipped, info.image_ids)),
    )
    assert stats.iterations == 3 and stats.skipped_steps == 1
    assert seen == [(0, False, [5]), (1, True, [6]), (2, False, [7])]
    assert scheduler.last_epoch == 3  # the schedule moves on with the iteration
    # two good steps: 0 -> 0.6 -> 1.08 (the NaN step changed nothing)
    assert model.w.item() == pytest.approx(1.08)


def test_stop_mode_names_the_image_ids_of_the_bad_batch():
    model = SometimesNaN()
    loader = [IdBatch([_image(0.0)], image_ids=[5]), IdBatch([_image(1.0)], image_ids=[6, 9])]
    with pytest.raises(NonFiniteLossError) as info:
        _run(model, loader)
    assert info.value.image_ids == [6, 9] and "image ids [6, 9]" in str(info.value)
    assert info.value.iteration == 1


def test_after_step_can_stop_the_epoch_and_reports_the_position():
    model = QuadraticModel()
    positions = []

    def after_step(info):
        positions.append(info.epoch_batches)
        return info.iteration == 11

    class ResumedLoader(list):
        """The last 3 batches of a 7-batch epoch (len counts the whole epoch, as the
        training loader's does after ``skip_next(4)``)."""

        def __len__(self) -> int:
            return 7

    loader = ResumedLoader(_batches(3))
    position = EpochPosition(start_iteration=10, start_batch=4)
    stats = _run(model, loader, position=position, after_step=after_step)
    assert stats.interrupted and stats.iterations == 2 and positions == [5, 6]


def test_accumulate_below_one_is_refused():
    with pytest.raises(ValueError, match="accumulate must be >= 1, got 0"):
        StepSettings(accumulate=0)
