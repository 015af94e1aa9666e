"""A resumed run's optimizer steps with the current config's settings, not the checkpoint's.

``restore_training_state`` (what ``--resume`` calls) loads the optimizer state of ``last.pt``
into an optimizer built from the current config. Its learning rate follows the config's
``train.lr``; so must its ``train.weight_decay`` and ``train.momentum`` (AdamW's beta1), which
the resumed run writes into its ``config.yaml``: an SGD step after the resume is computed by
hand with the new values, the momentum buffer coming from the checkpoint. With the same config
the settings, and so the steps, are those of the saved run.
"""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.engine.checkpointing.resume_state import restore_training_state, training_state
from detseg.engine.solver import build_optimizer, build_scheduler


def _optimization(model: nn.Module, name: str, lr: float, momentum: float, weight_decay: float):
    optimizer = build_optimizer(model, name, lr, momentum, weight_decay, no_decay_norm_bias=True)
    return optimizer, build_scheduler(optimizer, "constant", iters_per_epoch=1, total_iters=10)


def _saved_after_one_step(model: nn.Module, name: str) -> dict:
    """``last.pt``'s training state after one step with lr 0.1, momentum 0.9, weight decay 0.01."""
    optimizer, scheduler = _optimization(model, name, 0.1, 0.9, 0.01)
    model(torch.ones(1, 1)).sum().backward()
    optimizer.step()
    scheduler.step()
    return training_state(optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False))


def _resumed(model: nn.Module, saved: dict, name: str, momentum: float, weight_decay: float):
    optimizer, scheduler = _optimization(model, name, 0.2, momentum, weight_decay)
    restore_training_state(saved, optimizer, scheduler, torch.amp.GradScaler("cpu", enabled=False))
    return optimizer


def test_weight_decay_and_momentum_changed_on_resume_apply_to_the_next_step():
    torch.manual_seed(0)
    model = nn.Linear(1, 1)  # y = w x + b, x = 1: d(sum y)/dw = d/db = 1
    saved = _saved_after_one_step(model, "sgd")
    w, b = model.weight.item(), model.bias.item()
    buffer_w, buffer_b = (saved["optimizer"]["state"][i]["momentum_buffer"].item() for i in (0, 1))
    optimizer = _resumed(model, saved, "sgd", momentum=0.5, weight_decay=0.1)
    decayed, exempt = optimizer.param_groups
    assert (decayed["lr"], decayed["momentum"], decayed["weight_decay"]) == (0.2, 0.5, 0.1)
    assert (exempt["lr"], exempt["momentum"], exempt["weight_decay"]) == (0.2, 0.5, 0.0)
    optimizer.zero_grad()
    model(torch.ones(1, 1)).sum().backward()
    optimizer.step()
    # SGD: buf = momentum * buf + (grad + weight_decay * p); p -= lr * buf
    expected_w = w - 0.2 * (0.5 * buffer_w + 1.0 + 0.1 * w)
    expected_b = b - 0.2 * (0.5 * buffer_b + 1.0)
    assert model.weight.item() == pytest.approx(expected_w, abs=1e-6)
    assert model.bias.item() == pytest.approx(expected_b, abs=1e-6)


def test_adamw_resumed_with_another_beta1_uses_it():
    model = nn.Linear(1, 1)
    saved = _saved_after_one_step(model, "adamw")
    optimizer = _resumed(model, saved, "adamw", momentum=0.8, weight_decay=0.05)
    assert [g["betas"] for g in optimizer.param_groups] == [(0.8, 0.999)] * 2
    assert [g["weight_decay"] for g in optimizer.param_groups] == [0.05, 0.0]
    assert torch.equal(optimizer.state[model.weight]["step"], torch.tensor(1.0))  # the state


def test_the_same_config_resumes_with_the_saved_settings():
    model = nn.Linear(1, 1)
    saved = _saved_after_one_step(model, "sgd")
    optimizer = _resumed(model, saved, "sgd", momentum=0.9, weight_decay=0.01)
    saved_groups = saved["optimizer"]["param_groups"]
    for group, saved_group in zip(optimizer.param_groups, saved_groups, strict=True):
        for key in ("momentum", "weight_decay", "dampening", "nesterov"):
            assert group[key] == saved_group[key], key
