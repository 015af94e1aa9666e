"""The last, shorter accumulation group of a loader without a length is stepped too.

``train_one_epoch`` takes any iterable of batches. A loader without ``len()`` (a generator)
does not tell which group is its last, so the batches left after its last full group of
``accumulate`` are stepped when it ends, with the gradient of their mean (each loss divided by
the group's length, as for a sized loader's shorter last group): the weights, the step count
and the images counted are those of the same batches given as a list. When the batches fill
whole groups, no extra step comes. A ``DataLoader`` over an ``IterableDataset`` without
``__len__`` (whose ``len()`` raises ``TypeError``) trains as such a loader.
"""

from __future__ import annotations

import pytest
import torch
from fake_batches import FakeBatch, LinearModel
from torch.utils.data import DataLoader, IterableDataset

from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch


def _batches(values: list[float]) -> list[FakeBatch]:
    return [FakeBatch([torch.full((3, 2, 2), v)], [{}]) for v in values]


def _train(loader, accumulate: int):
    model = LinearModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    settings = StepSettings(accumulate=accumulate)
    stats = train_one_epoch(
        model, loader, optimizer, scheduler, torch.device("cpu"), settings=settings
    )
    return model, stats


def test_the_batches_after_the_last_full_group_are_stepped():
    batches = _batches([1.0, 2.0, 3.0])
    model, stats = _train(iter(batches), accumulate=2)
    # step 1: grad = mean_i 2 x_i (w x_i - 1) at w = 0 over x = 1, 2: -3 -> w = 0.15
    # step 2 (x = 3 alone): grad = 2 * 3 * (0.45 - 1) = -3.3 -> w = 0.15 + 0.05 * 3.3
    assert model.w.item() == pytest.approx(0.15 + 0.05 * 3.3)
    assert (stats.iterations, stats.batches, stats.images) == (2, 3, 3)
    listed, listed_stats = _train(_batches([1.0, 2.0, 3.0]), accumulate=2)
    assert model.w.item() == pytest.approx(listed.w.item(), abs=1e-7)
    assert stats.losses["loss"] == pytest.approx(listed_stats.losses["loss"])


def test_whole_groups_get_no_extra_step():
    model, stats = _train(iter(_batches([1.0, 2.0, 3.0, 0.5])), accumulate=2)
    assert (stats.iterations, stats.batches, stats.images) == (2, 4, 4)
    # as a list: step 2 on x = 3, 0.5 (w = 0.255625, see test_train_loop)
    assert model.w.item() == pytest.approx(0.255625)


class _Stream(IterableDataset):
    """Batches one after the other, without a length."""

    def __init__(self, values: list[float]) -> None:
        self.values = values

    def __iter__(self):
        return iter(_batches(self.values))


def test_a_data_loader_over_an_iterable_dataset_without_length():
    loader = DataLoader(_Stream([1.0, 2.0, 3.0]), batch_size=None)
    model, stats = _train(loader, accumulate=2)
    assert model.w.item() == pytest.approx(0.15 + 0.05 * 3.3)
    assert (stats.iterations, stats.batches, stats.images) == (2, 3, 3)
