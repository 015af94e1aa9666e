"""Checkpoint rotation: older copies of last.pt, the fallback to them when it is damaged, and a
kill -9 during checkpoint writes that never leaves a truncated last.pt."""

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
    load_checkpoint,
    load_resumable,
    remove_stale_temp_files,
    save_rotating,
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
    with caplog.at_level(logging.ERROR):
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
