"""The ``train`` records of metrics.jsonl: the learning rate a step used, and the same records
for a run resumed mid-epoch as for an uninterrupted one.

- The ``lr`` of the record of iteration ``i`` is the rate that step's update used,
  ``lr * warmup(i) * decay(i)`` (the documented schedule), not the next iteration's rate that
  the scheduler has moved on to after the step.
- ``train.log_every`` counts global iterations (as the TensorBoard scalars do): an epoch split
  over two calls of ``train_one_epoch`` (an interrupted run and its ``--resume``) writes the
  records of one call.
"""

from __future__ import annotations

import pytest
import torch
from fake_batches import FakeBatch
from torch import nn

from detseg.engine.records import MetricLogger, read_metrics
from detseg.engine.solver import build_scheduler
from detseg.engine.solver.schedules import WarmupSchedule
from detseg.engine.training import EpochPosition, StepSettings, train_one_epoch


class _Quadratic(nn.Module):
    """One weight pulled towards 3."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images, targets):
        return {"loss_a": (self.w - 3.0) ** 2}


class _EpochRest(list):
    """The batches of an epoch left after a resume's skip; its length is the whole epoch's,
    as the training loader's is."""

    def __init__(self, batches: list[FakeBatch], epoch_batches: int) -> None:
        super().__init__(batches)
        self.epoch_batches = epoch_batches

    def __len__(self) -> int:
        return self.epoch_batches


def _batches(n: int) -> list[FakeBatch]:
    return [FakeBatch([torch.zeros(3, 4, 4)]) for _ in range(n)]


def _train_records(tmp_path, calls, settings, schedule="cosine", total=6, warmup=3):
    """``train`` records and final weight of one run of ``calls`` ``(start_batch, steps)``
    pieces over an epoch of ``total * settings.accumulate`` batches, with one optimizer and
    scheduler throughout (a resumed run restores both)."""
    model = _Quadratic()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(
        optimizer, schedule, iters_per_epoch=total, total_iters=total, warmup_iters=warmup
    )
    path = tmp_path / "metrics.jsonl"
    epoch_batches = total * settings.accumulate
    iteration = 0
    with MetricLogger(path) as log:
        for start_batch, steps in calls:
            loader = _batches(epoch_batches)[start_batch:]
            position = EpochPosition(
                start_iteration=iteration, start_batch=start_batch, max_iters=steps
            )
            stats = train_one_epoch(
                model,
                _EpochRest(loader, epoch_batches),
                optimizer,
                scheduler,
                torch.device("cpu"),
                position=position,
                settings=settings,
                metric_log=log,
            )
            iteration += stats.iterations
    records = [r for r in read_metrics(path) if r["type"] == "train"]
    return records, model.w.item()


@pytest.mark.parametrize("schedule", ["cosine", "multistep", "constant"])
@pytest.mark.parametrize("accumulate", [1, 2])
def test_the_record_of_an_iteration_gives_the_lr_its_step_used(tmp_path, schedule, accumulate):
    settings = StepSettings(accumulate=accumulate, log_every=1)
    records, _ = _train_records(tmp_path, [(0, None)], settings, schedule)
    factor = WarmupSchedule(schedule, total_iters=6, warmup_iters=3)  # no milestones: gamma^0
    assert [r["iteration"] for r in records] == list(range(6))
    for record in records:
        assert record["lr"] == pytest.approx(0.1 * factor(record["iteration"]), rel=1e-12)
    assert records[0]["lr"] == pytest.approx(0.1 * 0.001)  # warmup_factor at iteration 0


def test_the_lr_used_is_the_one_recorded(tmp_path):
    """SGD without momentum: w_{i+1} = w_i - lr_i * 2 (w_i - 3), with the recorded lr_i."""
    records, w_end = _train_records(tmp_path, [(0, None)], StepSettings(log_every=1))
    w = 0.0
    for record in records:
        w -= record["lr"] * 2 * (w - 3.0)
    assert w_end == pytest.approx(w, rel=1e-6)


@pytest.mark.parametrize("accumulate", [1, 2])
def test_a_resumed_epoch_writes_the_records_of_an_uninterrupted_one(tmp_path, accumulate):
    settings = StepSettings(accumulate=accumulate, log_every=3)
    whole, w_whole = _train_records(tmp_path / "whole", [(0, None)], settings)
    split, w_split = _train_records(tmp_path / "split", [(0, 2), (2 * accumulate, None)], settings)
    assert [r["iteration"] for r in whole] == [2, 5]  # every 3rd iteration of the run
    assert [(r["iteration"], r["lr"], r["loss"]) for r in split] == [
        (r["iteration"], r["lr"], r["loss"]) for r in whole
    ]
    assert w_split == w_whole
