"""``--resume`` that falls back to an older copy (``last.pt`` damaged, ``last.1.pt`` used) goes
on with the best score of the run's ``best.pt`` when it is higher than the copy's (the copy is
older than ``best.pt``): a re-run epoch scoring between the two must not replace ``best.pt``.
A ``best.pt`` of another run (another ``run_id``, as a new run under
``train.keep_checkpoints=0`` leaves it) is not taken."""

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
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState

RUN = "run-a"


def _run(work_dir) -> SimpleNamespace:
    train = TrainConfig(batch_size=2, epochs=4, warmup_iters=0)
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


def _meta(state: RunState, run_id: str | None) -> dict:
    meta = {"epoch": state.epoch, "iteration": state.iteration, "run": dataclasses.asdict(state)}
    for key in ("last_metrics", "saved_iteration", "run_id", "early_stop_epoch"):
        meta["run"].pop(key, None)
    return meta if run_id is None else {**meta, "run_id": run_id}


@pytest.fixture
def fallback(tmp_path):
    """``last.pt`` damaged; ``last.1.pt`` (epoch 2, best 0.5 at epoch 0) of run ``RUN``."""
    run = _run(tmp_path)
    older = RunState(epoch=2, iteration=8, best_score=0.5, best_epoch=0, evals_since_best=1)
    save_checkpoint(
        tmp_path / "last.1.pt",
        {
            "model": run.model.state_dict(),
            "config": {"train": dataclasses.asdict(run.cfg.train)},
            "classes": ["a"],
            "meta": _meta(older, RUN),
            **training_state(run.optimizer, run.scheduler, run.scaler),
            "world_size": 1,
        },
    )
    (tmp_path / "last.pt").write_bytes(b"cut short")
    return tmp_path


def _best(work_dir, run_id: str | None, score: float = 0.7) -> None:
    state = RunState(epoch=3, iteration=12, best_score=score, best_epoch=2)
    meta = _meta(state, run_id)
    save_checkpoint(
        work_dir / "best.pt", {"model": {}, "config": {}, "classes": ["a"], "meta": meta}
    )


def test_the_better_best_pt_of_the_run_is_kept(fallback):
    _best(fallback, RUN)
    run = _run(fallback)
    resume_run(run)
    assert (run.state.epoch, run.state.iteration) == (2, 8)
    assert (run.state.best_score, run.state.best_epoch, run.state.evals_since_best) == (0.7, 2, 0)
    assert run.state.record_score(0.6, 2) is False  # 0.6 no longer replaces best.pt


@pytest.mark.parametrize("other", ["run-b", None], ids=["other-run", "no-run-id"])
def test_a_best_pt_of_another_run_is_not_taken(fallback, other):
    _best(fallback, other)
    run = _run(fallback)
    resume_run(run)
    assert (run.state.best_score, run.state.best_epoch, run.state.evals_since_best) == (0.5, 0, 1)
    assert run.state.run_id == RUN  # the resumed run keeps its identity


def test_a_lower_best_pt_changes_nothing(fallback):
    _best(fallback, RUN, score=0.25)
    run = _run(fallback)
    resume_run(run)
    assert (run.state.best_score, run.state.best_epoch) == (0.5, 0)
