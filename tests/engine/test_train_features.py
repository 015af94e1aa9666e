"""EMA, no-decay parameter groups, the lr scaling rule, early stopping, stop signals,
checkpoint rotation and fallback, a kill -9 during checkpoint writes, work-dir checks."""

from __future__ import annotations

import logging
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from torch import nn

from detseg.engine import disk_check
from detseg.engine.checkpoint import (
    CheckpointError,
    load_checkpoint,
    load_resumable,
    remove_stale_temp_files,
    save_rotating,
)
from detseg.engine.disk_check import WorkDirError, check_work_dir
from detseg.engine.ema import ModelEMA
from detseg.engine.interrupt import StopSignals
from detseg.engine.optim import build_optimizer, parameter_groups, scaled_lr
from detseg.engine.run_state import RunState

REPO = Path(__file__).resolve().parents[2]


class TinyNet(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 1)
        self.bn = nn.BatchNorm2d(2)
        self.fc = nn.Linear(2, 1, bias=False)


def test_ema_follows_the_hand_computed_average():
    model = nn.Linear(1, 1, bias=False)
    nn.init.constant_(model.weight, 1.0)
    ema = ModelEMA(model, decay=0.5, warmup=0)
    for value in (3.0, 5.0):
        with torch.no_grad():
            model.weight.fill_(value)
        ema.update(model)
    # 0.5 * 1 + 0.5 * 3 = 2 ; 0.5 * 2 + 0.5 * 5 = 3.5
    assert ema.model.weight.item() == pytest.approx(3.5)
    assert ema.updates == 2 and not ema.model.weight.requires_grad


def test_ema_warmup_ramp_and_buffers():
    model = TinyNet()
    ema = ModelEMA(model, decay=0.9, warmup=2)
    assert ema.decay_at(1) == pytest.approx(0.9 * (1 - math.exp(-0.5)))
    model.bn.num_batches_tracked.fill_(7)
    with torch.no_grad():
        model.bn.running_mean.fill_(1.0)
    ema.update(model)
    d = ema.decay_at(1)
    assert ema.model.bn.running_mean[0].item() == pytest.approx(1.0 - d)  # averaged
    assert ema.model.bn.num_batches_tracked.item() == 7  # copied


def test_no_decay_groups_hold_norm_parameters_and_biases():
    model = TinyNet()
    decay, no_decay = parameter_groups(model, 1e-4, no_decay_norm_bias=True)
    assert {id(p) for p in decay["params"]} == {id(model.conv.weight), id(model.fc.weight)}
    assert {id(p) for p in no_decay["params"]} == {
        id(model.conv.bias), id(model.bn.weight), id(model.bn.bias)
    }  # fmt: skip
    assert decay["weight_decay"] == 1e-4 and no_decay["weight_decay"] == 0.0
    single = build_optimizer(model, "sgd", 0.1, no_decay_norm_bias=False)
    assert len(single.param_groups) == 1
    assert [id(p) for p in single.param_groups[0]["params"]] == [id(p) for p in model.parameters()]


def test_no_decay_parameters_do_not_shrink():
    model = TinyNet()
    with torch.no_grad():
        model.bn.weight.fill_(2.0)
        model.conv.weight.fill_(2.0)
    optimizer = build_optimizer(model, "sgd", 0.1, momentum=0.0, weight_decay=0.5,
                                no_decay_norm_bias=True)  # fmt: skip
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimizer.step()
    assert torch.all(model.bn.weight == 2.0)
    assert torch.allclose(model.conv.weight, torch.full_like(model.conv.weight, 2.0 * 0.95))


def test_lr_scaling_rule():
    assert scaled_lr(0.02, 16, 16, "linear") == 0.02
    assert scaled_lr(0.02, 4, 16, "linear") == pytest.approx(0.005)
    assert scaled_lr(0.01, 64, 16, "sqrt") == pytest.approx(0.02)
    assert scaled_lr(0.01, 64, 16, "none") == 0.01
    with pytest.raises(ValueError, match="base_batch_size"):
        scaled_lr(0.01, 4, 0, "linear")


def test_early_stopping_counts_evaluations_without_improvement():
    run = RunState()
    assert run.record_score(0.3, 0) and run.best_epoch == 0
    assert not run.record_score(0.3, 1)  # equal is not better
    assert not run.record_score(float("nan"), 2)
    assert run.should_stop_early(2) and not run.should_stop_early(3)
    assert not run.should_stop_early(None)
    assert run.record_score(0.4, 3) and run.evals_since_best == 0
    restored = RunState.from_meta({"epoch": 1, "iteration": 5, "best_ap": 0.2, "best_epoch": 0})
    assert restored.best_score == 0.2 and restored.epoch_batches == 0  # an older checkpoint


def test_stop_signals_flag_the_first_signal_and_raise_on_the_second():
    previous = signal.getsignal(signal.SIGINT)
    with StopSignals() as stop:
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested and stop.exit_code == 143
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)  # a second signal: stop now
    assert signal.getsignal(signal.SIGINT) is previous


def _state(value: float) -> dict:
    return {"model": {"w": torch.tensor([value])}, "config": {}, "classes": ["a"],
            "meta": {"value": value}}  # fmt: skip


def test_rotation_keeps_older_copies_and_fallback_names_the_damaged_file(tmp_path, caplog):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):
        save_rotating(path, _state(value), keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.1.pt", "last.pt"]
    assert load_checkpoint(tmp_path / "last.1.pt")["meta"]["value"] == 2.0
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with caplog.at_level(logging.ERROR):
        state, source = load_resumable(path)
    assert source.name == "last.1.pt" and state["meta"]["value"] == 2.0
    assert any(str(path) in r.getMessage() for r in caplog.records)
    (tmp_path / "last.1.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="last.pt.*last.1.pt"):
        load_resumable(path)


_WRITER = """
import sys, torch
from detseg.engine.checkpoint import save_rotating
folder = sys.argv[1]
big = torch.zeros(4_000_000)  # 16 MB: each write takes a while
for step in range(1, 10_000):
    big[0] = step
    save_rotating(f"{folder}/last.pt", {"model": {"w": big}, "config": {}, "classes": [],
                  "meta": {"step": step}}, keep=1)
    print(step, flush=True)
"""


def test_kill_9_during_checkpoint_writes_never_leaves_a_truncated_last_pt(tmp_path):
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}
    for delay in (0.0, 0.013, 0.031):
        folder = tmp_path / f"kill{delay}"
        folder.mkdir()
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(folder)], stdout=subprocess.PIPE, text=True,
            env=env,
        )  # fmt: skip
        written = [int(writer.stdout.readline()) for _ in range(2)]
        time.sleep(delay)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        writer.stdout.close()
        state = load_checkpoint(folder / "last.pt")  # complete, whatever the moment of the kill
        assert state["meta"]["step"] >= written[-1]
        assert state["model"]["w"][0].item() == state["meta"]["step"]
        remove_stale_temp_files(folder)
        assert {p.name for p in folder.iterdir()} <= {"last.pt", "last.1.pt"}


def test_work_dir_problems_are_reported_at_start(tmp_path, monkeypatch):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(WorkDirError, match="cannot write to the work dir .*a_file"):
        check_work_dir(blocker / "run", 1000)
    check_work_dir(tmp_path / "ok", 1000)

    class Usage:
        free = 5 * 2**20

    monkeypatch.setattr(disk_check.shutil, "disk_usage", lambda path: Usage)
    with pytest.raises(WorkDirError, match="need about 100 MB, 5 MB are free"):
        check_work_dir(tmp_path / "ok", 100 * 2**20)
