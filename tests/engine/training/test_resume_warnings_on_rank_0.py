"""A resumed run whose batches take another number of images: every process moves its epoch
position and its learning-rate schedule the same way, and rank 0 alone warns about it."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import torch
from torch import nn

from detseg.config.schema import TrainConfig
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.resume_at_same_images import (
    continue_epoch_at_same_images,
    continue_schedule_at_same_images,
)
from detseg.engine.training.run_state import RunState

#: A checkpoint of one process with batches of 2 images, stopped after 4 of 8 batches.
SAVED = {"config": {"train": {"batch_size": 2, "accumulate": 1}}, "world_size": 1}


def _run(rank: int) -> SimpleNamespace:
    """Rank ``rank`` of a resumed run of 2 processes with batches of 2 (4 images a step)."""
    train = TrainConfig(batch_size=2, accumulate=1, epochs=2, warmup_iters=0, schedule="cosine")
    optimizer = torch.optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1)
    return SimpleNamespace(
        dist=SimpleNamespace(rank=rank, world_size=2, is_main=rank == 0, enabled=False),
        optimizer=optimizer,
        scheduler=scheduler_from_config(optimizer, train, 4),
        cfg=SimpleNamespace(train=train),
        data=SimpleNamespace(train_loader=range(4)),  # 16 images in batches of 2 x 2
        state=RunState(epoch=0, epoch_batches=4, iteration=4),
    )


def _resume(rank: int, caplog) -> tuple[SimpleNamespace, list[str]]:
    run = _run(rank)
    with caplog.at_level(logging.WARNING):
        continue_epoch_at_same_images(run, SAVED)
        continue_schedule_at_same_images(run, SAVED)
    return run, [r.getMessage() for r in caplog.records if "last.pt was written" in r.getMessage()]


def test_rank_0_warns_once_about_the_epoch_and_the_schedule(caplog):
    run, warned = _resume(0, caplog)
    assert run.state.epoch_batches == 2 and run.scheduler.last_epoch == 2
    assert len(warned) == 2
    assert "continues at batch 2 " in warned[0] and "continues at step 2 " in warned[1]


def test_rank_1_moves_the_same_way_without_a_line(caplog):
    run, warned = _resume(1, caplog)
    assert run.state.epoch_batches == 2 and run.scheduler.last_epoch == 2
    assert warned == []
