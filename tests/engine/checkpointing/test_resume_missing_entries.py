"""``--resume`` from a ``last.pt`` without the run's position (``meta["run"]``) or the
schedule's (``lr_lambdas``, ``last_epoch``) is one line naming the file and the entry, not a
``KeyError`` (nor, without ``last_epoch``, a schedule silently back at its warmup)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from tool_modules import load_tool
from torch import nn

from detseg.engine.checkpointing import CheckpointError
from detseg.engine.checkpointing.checkpoint import save_checkpoint
from detseg.engine.checkpointing.resume_state import training_state
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import resume_run
from detseg.engine.training.run_state import RunState


def _run(work_dir):
    model = nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda it: 1.0)
    train = SimpleNamespace(warmup_iters=0, batch_size=2, accumulate=1)
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        ema=None,
        cfg=SimpleNamespace(train=train, seed=0),
        data=SimpleNamespace(train_loader=[0, 0]),
        state=RunState(),
    )


def _last_pt(run, edit):
    state = {
        "model": run.model.state_dict(),
        "config": {"train": {"warmup_iters": 0}},
        "classes": ["a"],
        "meta": RunState(epoch=1, iteration=2).meta(None),
        **training_state(run.optimizer, run.scheduler, run.scaler),
    }
    edit(state)
    save_checkpoint(run.work_dir / "last.pt", state)


@pytest.mark.parametrize(
    ("edit", "named"),
    [
        (lambda s: s["meta"].pop("run"), "meta['run'] is missing"),
        (lambda s: s["scheduler"].pop("lr_lambdas"), "scheduler['lr_lambdas'] is missing"),
        (lambda s: s["scheduler"].pop("last_epoch"), "scheduler['last_epoch'] is missing"),
        (lambda s: s.update(scheduler=[]), "'scheduler' is of type list, not a dict"),
        (lambda s: s["meta"].update(run=3), "meta['run'] is of type int, not dict"),
    ],
)
def test_a_last_pt_without_the_run_position_is_one_line(tmp_path, edit, named):
    run = _run(tmp_path)
    _last_pt(run, edit)
    with pytest.raises(CheckpointError) as caught:
        resume_run(run)
    message = str(caught.value)
    assert message.startswith(f"cannot resume from {tmp_path / 'last.pt'}: {named}; ")
    assert message.endswith("start without resume=True") and "\n" not in message
    tool = caught.value.naming(load_tool("train.py").TRAIN_FLAGS)
    assert tool == message.replace("resume=True", "--resume")


def test_a_complete_last_pt_resumes(tmp_path):
    run = _run(tmp_path)
    _last_pt(run, lambda s: None)
    resume_run(run)
    assert (run.state.epoch, run.state.iteration) == (1, 2)
