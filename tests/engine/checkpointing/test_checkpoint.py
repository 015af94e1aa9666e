"""Checkpoint files: atomic replacement on a crash, weights_only round trip, clear errors."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from torch import nn

from detseg.engine.checkpointing import (
    CheckpointError,
    load_checkpoint,
    restore_training_state,
    rng_state,
    save_checkpoint,
    set_rng_state,
    training_state,
)
from detseg.engine.solver import build_scheduler


def _state(value: float) -> dict:
    return {
        "model": {"weight": torch.full((2, 2), value)},
        "config": {"model": {"name": "toy"}, "train": {"lr": 0.1, "milestones": [1, 2]}},
        "classes": ["circle", "square"],
        "meta": {"epoch": 1, "iteration": 10, "metrics": {"AP": 0.5}, "time": 1.0},
    }


def test_crash_mid_write_keeps_previous_file_and_leaves_no_temp(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _state(1.0))
    real_save = torch.save

    def crashing_save(obj, file, *args, **kwargs):
        file.write(b"PK\x03\x04 partial checkpoint bytes")
        file.flush()
        raise KeyboardInterrupt("simulated crash during torch.save")

    monkeypatch.setattr(torch, "save", crashing_save)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(path, _state(2.0))
    monkeypatch.setattr(torch, "save", real_save)

    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]
    assert torch.equal(load_checkpoint(path)["model"]["weight"], torch.full((2, 2), 1.0))


def test_save_replaces_and_creates_folders(tmp_path):
    path = tmp_path / "run" / "sub" / "best.pt"
    save_checkpoint(path, _state(1.0))
    save_checkpoint(path, _state(3.0))
    assert torch.equal(load_checkpoint(path)["model"]["weight"], torch.full((2, 2), 3.0))
    assert [p.name for p in path.parent.iterdir()] == ["best.pt"]


def _training_objects(lr: float = 0.1):
    model = nn.Linear(3, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    # 4 iterations per epoch, 40 in all, lr x0.1 after epoch 2, 5 warmup iterations from 0.01
    scheduler = build_scheduler(optimizer, "multistep", 4, 40, [2], 0.1, 5, 0.01)
    return model, optimizer, scheduler, torch.amp.GradScaler("cuda", enabled=False)


def test_training_state_round_trips_with_weights_only(tmp_path):
    torch.manual_seed(0)
    model, optimizer, scheduler, scaler = _training_objects()
    generator = torch.Generator().manual_seed(3)
    for _ in range(2):
        optimizer.zero_grad()
        model(torch.randn(4, 3)).sum().backward()
        optimizer.step()
        scheduler.step()
    state = {
        **_state(0.0),
        "model": model.state_dict(),
        **training_state(optimizer, scheduler, scaler, generator),
    }
    path = tmp_path / "last.pt"
    save_checkpoint(path, state)
    loaded = load_checkpoint(path)  # weights_only=True inside: would raise on any pickled object
    expected_shuffle = torch.randperm(10, generator=generator)

    _, optimizer2, scheduler2, scaler2 = _training_objects()
    generator2 = torch.Generator().manual_seed(99)
    restore_training_state(loaded, optimizer2, scheduler2, scaler2, generator2)
    assert scheduler2.last_epoch == 2
    # warmup at iteration 2: 0.1 * (0.01 * (1 - 2/5) + 2/5)
    assert optimizer2.param_groups[0]["lr"] == pytest.approx(0.1 * (0.006 + 0.4))
    assert optimizer.param_groups[0]["lr"] == pytest.approx(0.1 * (0.006 + 0.4))
    momentum = optimizer.state_dict()["state"][0]["momentum_buffer"]
    assert torch.equal(optimizer2.state_dict()["state"][0]["momentum_buffer"], momentum)
    assert torch.equal(torch.randperm(10, generator=generator2), expected_shuffle)
    assert loaded["config"] == state["config"] and loaded["classes"] == ["circle", "square"]


def test_resume_uses_the_current_learning_rate(tmp_path):
    _, optimizer, scheduler, scaler = _training_objects(lr=0.1)
    for _ in range(6):
        optimizer.step()
        scheduler.step()
    save_checkpoint(
        tmp_path / "last.pt", {**_state(0.0), **training_state(optimizer, scheduler, scaler)}
    )
    _, optimizer2, scheduler2, scaler2 = _training_objects(lr=0.5)
    restore_training_state(load_checkpoint(tmp_path / "last.pt"), optimizer2, scheduler2, scaler2)
    assert optimizer2.param_groups[0]["lr"] == pytest.approx(0.5)  # iteration 6: no decay yet
    for _ in range(2):
        optimizer2.step()
        scheduler2.step()
    assert optimizer2.param_groups[0]["lr"] == pytest.approx(0.05)  # iteration 8 = epoch 2


def test_resume_from_a_weights_only_checkpoint_is_refused(tmp_path):
    _, optimizer, scheduler, scaler = _training_objects()
    with pytest.raises(
        CheckpointError, match=r"lacks \['optimizer', 'scheduler', 'scaler', 'rng'\]"
    ):
        restore_training_state(_state(0.0), optimizer, scheduler, scaler)


def test_rng_state_restores_python_numpy_and_torch():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    saved = rng_state()
    expected = (random.random(), np.random.rand(), torch.rand(1).item())
    random.seed(99)
    np.random.seed(99)
    torch.manual_seed(99)
    set_rng_state(saved)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == expected


def test_missing_and_corrupt_files_name_the_file(tmp_path):
    with pytest.raises(CheckpointError, match=r"checkpoint not found: .*nope.pt"):
        load_checkpoint(tmp_path / "nope.pt")
    corrupt = tmp_path / "corrupt.pt"
    corrupt.write_bytes(b"this is not a checkpoint")
    with pytest.raises(CheckpointError, match=r"corrupt.pt is not a checkpoint \(a text file\?\)"):
        load_checkpoint(corrupt)
    truncated = tmp_path / "truncated.pt"
    save_checkpoint(truncated, _state(1.0))
    truncated.write_bytes(truncated.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=r"truncated.pt"):
        load_checkpoint(truncated)


def test_pickled_objects_are_refused(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({**_state(1.0), "meta": {"obj": random.Random(0)}}, path)
    with pytest.raises(CheckpointError, match=r"evil.pt"):
        load_checkpoint(path)


def test_missing_entries_are_reported(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"model": {}}, path)
    with pytest.raises(CheckpointError, match=r"missing \['config', 'classes', 'meta'\]"):
        load_checkpoint(path)
