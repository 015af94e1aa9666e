"""``--resume`` of a run stopped inside an epoch, with another ``train.batch_size`` (or another
number of processes): the epoch continues after the same share of its images, not after as
many batches of the new size (which would leave images of the epoch out, or train some twice),
with a warning."""

from __future__ import annotations

import dataclasses
import logging
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.config.schema import TrainConfig
from detseg.engine.checkpointing import save_checkpoint, training_state
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState

BATCHES = 8  # batches of an epoch at the saved batch size


def _run(work_dir, batch_size: int) -> SimpleNamespace:
    train = TrainConfig(batch_size=batch_size, epochs=2, warmup_iters=0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    epoch_len = BATCHES * 2 // batch_size  # 16 images
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler_from_config(optimizer, train, epoch_len),
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        ema=None,
        cfg=SimpleNamespace(seed=0, train=train),
        data=SimpleNamespace(train_loader=range(epoch_len)),
        state=RunState(),
    )


@pytest.fixture
def stopped(tmp_path):
    """A run of ``train.batch_size=2`` stopped after 4 of its epoch's 8 batches (8 images)."""
    run = _run(tmp_path, batch_size=2)
    state = RunState(epoch=0, epoch_batches=4, iteration=4)
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
    return tmp_path


@pytest.mark.parametrize(("batch_size", "position"), [(4, 2), (1, 8), (2, 4)])
def test_the_epoch_continues_after_the_same_images(stopped, caplog, batch_size, position):
    run = _run(stopped, batch_size)
    with caplog.at_level(logging.WARNING):
        resume_run(run)
    assert run.state.epoch_batches == position
    warned = [r.getMessage() for r in caplog.records if "train.batch_size" in r.getMessage()]
    assert len(warned) == (batch_size != 2)
