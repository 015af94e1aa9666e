"""``--resume`` of a run whose ``train.patience`` is used up says what happened to it: a run
that patience stopped before its epochs were done "stopped early"; a run that finished its
epochs with its last evaluations without improvement did not, even when the resumed config
gives it more epochs (it trains no step either way: the uninterrupted run would have stopped)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.config.schema import TrainConfig
from detseg.engine.checkpointing import save_checkpoint, training_state
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.epoch_loop import finished, nothing_left
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState


def _run(work_dir, epochs: int) -> SimpleNamespace:
    train = TrainConfig(batch_size=2, epochs=epochs, patience=1, warmup_iters=0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler_from_config(optimizer, train, 4),
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        ema=None,
        cfg=SimpleNamespace(seed=0, train=train),
        data=SimpleNamespace(train_loader=range(4)),
        state=RunState(),
        score_key="AP",
    )


def _resumed(work_dir, saved_epochs: int) -> SimpleNamespace:
    """A run of ``saved_epochs`` epochs, patience 1 used up after epoch 1 (state epoch 2),
    resumed with ``train.epochs=4``."""
    run = _run(work_dir, saved_epochs)
    state = RunState(epoch=2, iteration=8, best_score=0.0, best_epoch=0, evals_since_best=1)
    save_checkpoint(
        work_dir / "last.pt",
        {
            "model": run.model.state_dict(),
            "config": {"train": dataclasses.asdict(run.cfg.train)},
            "classes": ["a"],
            "meta": state.meta(None),
            **training_state(run.optimizer, run.scheduler, run.scaler),
            "world_size": 1,
        },
    )
    resumed = _run(work_dir, epochs=4)
    resume_run(resumed)
    return resumed


def test_a_run_that_finished_its_epochs_did_not_stop_early(tmp_path):
    run = _resumed(tmp_path, saved_epochs=2)
    assert finished(run) and run.state.early_stop_epoch is None
    assert nothing_left(run) == (
        "nothing to train: the run did not stop early, but its last 1 evaluation (to epoch 1) "
        "brought no improvement, which uses up train.patience=1; raise train.patience and "
        "resume the run to train further"
    )


@pytest.mark.parametrize("saved_epochs", [3, 4])
def test_a_run_stopped_by_patience_stopped_early(tmp_path, saved_epochs):
    run = _resumed(tmp_path, saved_epochs)
    assert finished(run) and run.state.early_stop_epoch == 1
    assert nothing_left(run) == (
        "nothing to train: the run stopped early after 1 evaluation without improvement "
        "(train.patience=1); raise train.patience and resume the run to train further"
    )
