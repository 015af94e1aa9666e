"""Checkpoint rotation: older copies of last.pt, the fallback to them when it is damaged, and a
kill -9 during checkpoint writes that never leaves a truncated last.pt; a new run's copy of the
previous best.pt (best.1.pt ...); damaged files moved aside (last.pt.corrupt), never rotated
over a good copy."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from detseg.engine.checkpointing import (
    CheckpointError,
    keep_previous,
    load_checkpoint,
    load_resumable,
    remove_stale_temp_files,
    save_checkpoint,
    save_rotating,
    set_aside,
)

REPO = Path(__file__).resolve().parents[3]


def _state(value: float) -> dict:
    return {
        "model": {"w": torch.tensor([value])},
        "config": {},
        "classes": ["a"],
        "meta": {"value": value},
    }


def test_rotation_keeps_older_copies_and_fallback_names_the_damaged_file(tmp_path, caplog):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):
        save_rotating(path, _state(value), keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.1.pt", "last.pt"]
    assert load_checkpoint(tmp_path / "last.1.pt")["meta"]["value"] == 2.0
    path.write_bytes(path.read_bytes()[:100])  # truncated
    with caplog.at_level(logging.WARNING):
        state, source = load_resumable(path)
    assert source.name == "last.1.pt" and state["meta"]["value"] == 2.0
    assert any(str(path) in r.getMessage() for r in caplog.records)
    (tmp_path / "last.1.pt").write_bytes(b"garbage")
    with pytest.raises(CheckpointError, match="last.pt.*last.1.pt"):
        load_resumable(path)


_WRITER = """
import sys, torch
from detseg.engine.checkpointing import save_rotating
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
            [sys.executable, "-c", _WRITER, str(folder)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
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


def _value(path: Path) -> float:
    return load_checkpoint(path)["meta"]["value"]


def test_a_new_run_keeps_the_previous_best_pt_as_best_1_pt(tmp_path, caplog):
    best = tmp_path / "best.pt"
    save_checkpoint(best, _state(1.0))
    with caplog.at_level(logging.INFO):
        assert keep_previous(best, keep=2) == tmp_path / "best.1.pt"
    assert not best.exists() and _value(tmp_path / "best.1.pt") == 1.0
    assert any("kept as best.1.pt" in r.getMessage() for r in caplog.records)
    save_checkpoint(best, _state(2.0))
    keep_previous(best, keep=2)  # as last.pt rotates: best.1.pt -> best.2.pt
    assert (_value(tmp_path / "best.1.pt"), _value(tmp_path / "best.2.pt")) == (2.0, 1.0)
    assert keep_previous(best, keep=2) is None  # no best.pt: nothing to keep


def test_dropping_or_replacing_the_previous_best_pt_is_a_warning(tmp_path, caplog):
    best = tmp_path / "best.pt"
    for value in (1.0, 2.0):
        save_checkpoint(best, _state(value))
        with caplog.at_level(logging.INFO):
            keep_previous(best, keep=1)
    assert _value(tmp_path / "best.1.pt") == 2.0
    dropped = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(dropped) == 1 and "train.keep_checkpoints=1" in dropped[0].getMessage()
    caplog.clear()
    save_checkpoint(best, _state(3.0))
    with caplog.at_level(logging.WARNING):
        assert keep_previous(best, keep=0) is None  # no copies: the new run replaces it
    assert _value(best) == 3.0
    assert "keep_checkpoints=0" in caplog.records[0].getMessage()


def test_a_damaged_file_is_moved_aside_never_rotated_over_a_good_copy(tmp_path):
    last, best = tmp_path / "last.pt", tmp_path / "best.pt"
    for value in (1.0, 2.0):
        save_rotating(last, _state(value), keep=1)
    last.write_bytes(last.read_bytes()[:100])  # cut short, as a full disk or a crash leaves it
    save_rotating(last, _state(3.0), keep=1)
    assert (_value(last), _value(tmp_path / "last.1.pt")) == (3.0, 1.0)
    assert (tmp_path / "last.pt.corrupt").stat().st_size == 100
    save_checkpoint(tmp_path / "best.1.pt", _state(1.0))
    best.write_bytes(b"PK\x03\x04 cut")
    assert keep_previous(best, keep=1) == tmp_path / "best.pt.corrupt"
    assert _value(tmp_path / "best.1.pt") == 1.0
    best.write_bytes(b"again")
    assert set_aside(best) == tmp_path / "best.pt.corrupt.1"  # never overwrites one


def test_resuming_from_an_older_copy_moves_the_damaged_last_pt_aside(tmp_path, caplog):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0):
        save_rotating(path, _state(value), keep=1)
    damaged = path.read_bytes()[:100]
    path.write_bytes(damaged)
    with caplog.at_level(logging.WARNING):
        state, source = load_resumable(path)
    assert source.name == "last.1.pt" and state["meta"]["value"] == 1.0
    assert (tmp_path / "last.pt.corrupt").read_bytes() == damaged and not path.exists()
    warning = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning == [
        f"{path} is corrupt: cut short or damaged (its zip directory is unreadable); resuming "
        f"from the older copy {source.name}, the damaged file moved to last.pt.corrupt"
    ]
    save_rotating(path, _state(3.0), keep=1)  # the resumed run's first save keeps last.1.pt
    assert (_value(path), _value(tmp_path / "last.1.pt")) == (3.0, 1.0)
    save_rotating(path, _state(4.0), keep=1)
    assert (_value(path), _value(tmp_path / "last.1.pt")) == (4.0, 3.0)
    path.write_bytes(damaged)
    load_resumable(path, set_aside_damaged=False)  # the other processes of a distributed run
    assert path.read_bytes() == damaged
