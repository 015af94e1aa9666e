"""``--resume`` of a run stopped inside an epoch, with another ``train.batch_size`` (or another
number of processes): the epoch continues after the same share of its images, not after as
many batches of the new size (which would leave images of the epoch out, or train some twice),
with a warning."""

from __future__ import annotations

import dataclasses
import logging
import math
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.config.schema import TrainConfig
from detseg.engine.checkpointing import save_checkpoint, training_state
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState

BATCHES = 8  # batches of an epoch at the saved batch size


def _run(
    work_dir,
    batch_size: int,
    accumulate: int = 1,
    schedule: str = "multistep",
    world_size: int = 1,
) -> SimpleNamespace:
    train = TrainConfig(
        batch_size=batch_size,
        accumulate=accumulate,
        epochs=2,
        warmup_iters=0,
        schedule=schedule,
    )
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epoch_len = BATCHES * 2 // (batch_size * world_size)  # 16 images
    return SimpleNamespace(
        work_dir=work_dir,
        dist=SimpleNamespace(rank=0, world_size=world_size, is_main=True, enabled=False),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler_from_config(optimizer, train, epoch_len),
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        ema=None,
        cfg=SimpleNamespace(seed=0, train=train),
        data=SimpleNamespace(train_loader=range(epoch_len)),
        state=RunState(),
        score_key="AP",
    )


def _save(tmp_path, run: SimpleNamespace, state: RunState) -> None:
    save_checkpoint(
        tmp_path / "last.pt",
        {
            "model": run.model.state_dict(),
            "config": {"train": dataclasses.asdict(run.cfg.train)},
            "classes": ["a"],
            "meta": state.meta(None),
            **training_state(run.optimizer, run.scheduler, run.scaler),
            "world_size": 1,
        },
    )


@pytest.fixture
def stopped(tmp_path):
    """A run of ``train.batch_size=2`` stopped after 4 of its epoch's 8 batches (8 images)."""
    _save(tmp_path, _run(tmp_path, batch_size=2), RunState(epoch=0, epoch_batches=4, iteration=4))
    return tmp_path


@pytest.mark.parametrize(("batch_size", "position"), [(4, 2), (1, 8), (2, 4)])
def test_the_epoch_continues_after_the_same_images(stopped, caplog, batch_size, position):
    run = _run(stopped, batch_size)
    with caplog.at_level(logging.WARNING):
        resume_run(run)
    assert run.state.epoch_batches == position
    warned = [r.getMessage() for r in caplog.records if "train.batch_size" in r.getMessage()]
    assert len(warned) == (batch_size != 2)


@pytest.mark.parametrize(
    ("batches", "batch_size", "accumulate", "position"),
    [(6, 4, 2, 2), (2, 4, 2, 0), (6, 1, 2, 12), (6, 2, 4, 4), (8, 4, 2, 4)],
    ids=["mid-group", "first-group", "on-a-boundary", "other-accumulate", "epoch-end"],
)
def test_under_accumulation_the_epoch_continues_at_a_group_start(
    tmp_path, caplog, batches, batch_size, accumulate, position
):
    """Saved by ``train.batch_size=2, accumulate=2`` after ``batches`` batches (whole groups):
    the share of the epoch's images is rounded down to the start of a group of the resumed
    run (none of the epoch's images is left out), and the warning says so."""
    steps = batches // 2
    state = RunState(epoch=0, epoch_batches=batches, iteration=steps)
    _save(tmp_path, _run(tmp_path, batch_size=2, accumulate=2), state)
    run = _run(tmp_path, batch_size, accumulate)
    with caplog.at_level(logging.WARNING):
        resume_run(run)
    assert run.state.epoch_batches == position
    assert position % accumulate == 0 or position == len(run.data.train_loader)
    warned = [r.getMessage() for r in caplog.records if "continues at batch" in r.getMessage()]
    assert len(warned) == 1 and f"continues at batch {position} " in warned[0]
    moved = f"moved back to the start of its train.accumulate={accumulate} group"
    assert (moved in warned[0]) == (position * batch_size != batches * 2)


@pytest.mark.parametrize(
    ("epoch", "batches", "batch_size", "world_size", "steps"),
    [(1, 0, 4, 1, 4), (1, 4, 4, 1, 6), (1, 0, 1, 1, 16), (1, 0, 2, 2, 4), (1, 4, 2, 1, 12)],
    ids=["larger-batches", "mid-epoch", "smaller-batches", "more-processes", "same-batches"],
)
def test_the_schedule_continues_at_the_same_share_of_the_run(
    tmp_path, caplog, epoch, batches, batch_size, world_size, steps
):
    """Saved by ``train.batch_size=2`` (8 steps an epoch, a cosine schedule of 16 steps) at
    ``epoch`` after ``batches`` batches: the learning rate goes on from the same share of the
    run in this run's steps (a larger batch would otherwise find its shorter cosine over, the
    learning rate 0 for the rest of the run)."""
    saved = _run(tmp_path, batch_size=2, schedule="cosine")
    done = epoch * 8 + batches
    for _ in range(done):
        saved.optimizer.step()
        saved.scheduler.step()
    _save(tmp_path, saved, RunState(epoch=epoch, epoch_batches=batches, iteration=done))
    run = _run(tmp_path, batch_size, schedule="cosine", world_size=world_size)
    with caplog.at_level(logging.WARNING):
        resume_run(run)
    assert run.scheduler.last_epoch == steps
    assert run.state.iteration == done  # the steps done stay counted as they were
    share = steps / (2 * len(run.data.train_loader))
    lr = run.scheduler.base_lrs[0] * 0.5 * (1 + math.cos(math.pi * share))
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(lr)
    assert run.scheduler.get_last_lr() == [pytest.approx(lr)]
    warned = [r.getMessage() for r in caplog.records if "learning-rate schedule" in r.getMessage()]
    assert len(warned) == (batch_size * world_size != 2)
    if warned:
        assert f"continues at step {steps} " in warned[0]
