"""``train.max_iters`` counts the optimizer steps a run has done, whatever their size: a run
resumed with another ``train.batch_size`` stops after ``max_iters`` steps in all (the saved
run's and its own), and its cosine schedule continues so that it ends there, not at the
same share of the images (which would leave the learning rate at 0 for the steps left, or
stop the run mid-schedule)."""

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
from detseg.engine.solver.schedules import run_iterations, scheduler_from_config
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState

IMAGES = 16  # images of an epoch


def _run(work_dir, batch_size: int, max_iters: int | None) -> SimpleNamespace:
    train = TrainConfig(
        batch_size=batch_size, epochs=4, max_iters=max_iters, warmup_iters=0, schedule="cosine"
    )
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epoch_len = IMAGES // batch_size
    return SimpleNamespace(
        work_dir=work_dir,
        dist=SimpleNamespace(rank=0, world_size=1, is_main=True, enabled=False),
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


def _stopped(work_dir, max_iters: int | None, steps: int) -> None:
    """``last.pt`` of a ``train.batch_size=4`` run stopped after ``steps`` steps of epoch 0."""
    saved = _run(work_dir, 4, max_iters)
    for _ in range(steps):
        saved.optimizer.step()
        saved.scheduler.step()
    state = RunState(epoch=0, epoch_batches=steps, iteration=steps)
    save_checkpoint(
        work_dir / "last.pt",
        {
            "model": saved.model.state_dict(),
            "config": {"train": dataclasses.asdict(saved.cfg.train)},
            "classes": ["a"],
            "meta": state.meta(None),
            **training_state(saved.optimizer, saved.scheduler, saved.scaler),
            "world_size": 1,
        },
    )


@pytest.mark.parametrize("batch_size", [2, 8])
def test_the_schedule_ends_at_train_max_iters(tmp_path, caplog, batch_size):
    _stopped(tmp_path, max_iters=3, steps=2)
    run = _run(tmp_path, batch_size, max_iters=3)
    with caplog.at_level(logging.WARNING):
        resume_run(run)
    left = 3 - run.state.iteration  # the run stops at iteration 3
    assert run.state.iteration == 2
    assert run.scheduler.last_epoch + left == run_iterations(run.cfg.train, IMAGES // batch_size)
    lr = 0.1 * 0.5 * (1 + math.cos(math.pi * run.scheduler.last_epoch / 3))
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(lr)
    assert lr > 0
    assert "train.max_iters=3 counts the steps done" in caplog.text


def test_without_max_iters_the_schedule_follows_the_images(tmp_path):
    _stopped(tmp_path, max_iters=None, steps=2)  # 8 images of the epoch's 16
    run = _run(tmp_path, 2, max_iters=None)
    resume_run(run)
    assert run.scheduler.last_epoch == 4  # 8 images in steps of 2
