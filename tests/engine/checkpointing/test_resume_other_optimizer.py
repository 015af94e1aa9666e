"""Resuming with another ``train.optimizer`` or ``train.no_decay_norm_bias`` than the run's is
one line naming the mismatch and the run's keys, before anything is loaded: at the run's start
while the work dir's ``config.yaml`` is still the run's, and again where the optimizer state
is loaded (torch's own errors: ``loaded state dict has a different number of parameter
groups``, or, for an SGD state loaded into AdamW, ``KeyError: 'step'`` at the first step).
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.config import TrainConfig
from detseg.engine.checkpointing import CheckpointError, save_checkpoint
from detseg.engine.checkpointing.resume_state import restore_training_state, training_state
from detseg.engine.solver.optim import build_optimizer
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.model_setup import check_resume_weights


def _optimization(name: str, no_decay: bool):
    """A conv + BatchNorm model after one step of ``name``, with its optimizer and schedule."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    optimizer = build_optimizer(model, name, 0.1, no_decay_norm_bias=no_decay)
    scheduler = scheduler_from_config(optimizer, TrainConfig(epochs=1, warmup_iters=2), 4)
    model(torch.randn(2, 3, 6, 6)).square().mean().backward()
    optimizer.step()
    scheduler.step()
    return model, optimizer, scheduler


def _saved(name: str, no_decay: bool) -> dict:
    _, optimizer, scheduler = _optimization(name, no_decay)
    state = training_state(optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False))
    state["config"] = {"train": {"optimizer": name, "no_decay_norm_bias": no_decay}}
    return state


@pytest.mark.parametrize(
    ("saved", "configured", "mismatch"),
    [
        (("sgd", False), ("sgd", True), "1 parameter group(s) saved, 2 configured"),
        (("sgd", False), ("adamw", False), "saved for sgd, configured for adamw"),
        (("adamw", True), ("sgd", True), "saved for adamw, configured for sgd"),
    ],
)
def test_another_optimizer_is_one_line(saved, configured, mismatch):
    state = _saved(*saved)
    _, optimizer, scheduler = _optimization(*configured)
    before = [group["lr"] for group in optimizer.param_groups]
    with pytest.raises(CheckpointError) as info:
        restore_training_state(
            state, optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False)
        )
    message = str(info.value)
    assert "\n" not in message
    assert f"({mismatch})" in message
    assert f"train.optimizer={saved[0]}, train.no_decay_norm_bias={saved[1]}" in message
    assert [group["lr"] for group in optimizer.param_groups] == before  # nothing loaded


def test_the_same_optimizer_resumes_and_steps():
    """The saved moments, step counts and schedule are loaded, and the next step updates."""
    state = _saved("adamw", True)
    model, optimizer, scheduler = _optimization("adamw", True)
    for p in model.parameters():  # other moments than the saved ones, which must replace them
        optimizer.state[p]["exp_avg"].fill_(7.0)
    restore_training_state(state, optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False))
    saved = state["optimizer"]["state"]
    loaded = optimizer.state_dict()["state"]
    assert loaded.keys() == saved.keys() and len(loaded) == len(list(model.parameters()))
    for i in saved:
        assert torch.equal(loaded[i]["exp_avg"], saved[i]["exp_avg"])
        assert float(loaded[i]["step"]) == 1.0
    # the conv weight decays; its bias and the BatchNorm weight and bias do not
    assert [len(g["params"]) for g in optimizer.param_groups] == [1, 3]
    assert scheduler.last_epoch == state["scheduler"]["last_epoch"] == 1
    before = [p.detach().clone() for p in model.parameters()]
    model(torch.randn(2, 3, 6, 6)).square().mean().backward()
    optimizer.step()
    assert all(float(s["step"]) == 2.0 for s in optimizer.state.values())
    assert all(not torch.equal(b, p) for b, p in zip(before, model.parameters(), strict=True))


def test_the_run_start_names_the_changed_keys(tmp_path):
    """``build_run_model(resume=True)`` calls :func:`check_resume_weights` with the config's
    ``train`` section: the optimizer keys of ``last.pt``'s config are compared with it while
    the work dir's ``config.yaml`` is still the run's."""
    model, _, _ = _optimization("sgd", False)
    last = tmp_path / "last.pt"
    train = {"optimizer": "sgd", "no_decay_norm_bias": False, "lr": 0.1}
    state = {"model": model.state_dict(), "config": {"train": train}, "classes": ["a"], "meta": {}}
    save_checkpoint(last, state)
    check_resume_weights(model, last, {**train, "lr": 0.2})  # other keys may change
    with pytest.raises(CheckpointError) as info:
        check_resume_weights(model, last, {**train, "optimizer": "adamw"})
    message = str(info.value)
    assert message.startswith(f"cannot resume from {last}: ")
    assert "train.optimizer=sgd (the config gives adamw)" in message
    assert "no_decay_norm_bias" not in message and "\n" not in message
    assert str(tmp_path / "config.yaml") in message
