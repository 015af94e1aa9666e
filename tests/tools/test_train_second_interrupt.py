"""A second Ctrl-C stops ``tools/train.py`` at once, with no summary: its one ``interrupted``
line says how to resume when the work dir holds a complete ``last.pt`` (or older copy), and
nothing more when it holds none."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch
from tool_modules import load_tool

import detseg.engine
from detseg.command_line import run_command
from detseg.engine.checkpointing import save_checkpoint
from detseg.shell_words import shell_word

REPO = Path(__file__).resolve().parents[2]


def _interrupted(
    monkeypatch,
    capsys,
    work_dir: Path,
    checkpoints: dict[str, bytes | None],
    environment: dict[str, str] | None = None,
) -> str:
    """Run ``tools/train.py`` whose training writes ``config.yaml`` and ``checkpoints`` (a
    complete checkpoint for ``None``, else these bytes), then takes a second SIGINT (the
    ``KeyboardInterrupt`` of :class:`~detseg.engine.checkpointing.interrupt.StopSignals`);
    returns the standard error. ``environment``: variables set for the run (a torchrun's)."""
    environment = environment or {}
    tool = load_tool("train.py")

    def train(cfg, work_dir, resume=False):
        work_dir.mkdir(parents=True, exist_ok=True)
        (work_dir / "config.yaml").write_text("work_dir: .\n")
        for name, data in checkpoints.items():
            state = {"model": {"w": torch.zeros(1)}, "config": {}, "classes": ["a"], "meta": {}}
            save_checkpoint(work_dir / name, state)
            if data is not None:
                (work_dir / name).write_bytes(data)
        raise KeyboardInterrupt

    monkeypatch.setattr(detseg.engine, "train", train)
    monkeypatch.delenv("RANK", raising=False)
    monkeypatch.delenv("WORLD_SIZE", raising=False)
    monkeypatch.delenv("DETSEG_STARTED_AS", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    argv = ["tools/train.py", str(REPO / "configs/demo.yaml"), "--work-dir", str(work_dir)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as ended:
        run_command(tool.main, "train")
    assert ended.value.code == 130
    return capsys.readouterr().err


def test_a_readable_last_pt_gets_the_resume_command(monkeypatch, capsys, tmp_path):
    work_dir = tmp_path / "run"
    err = _interrupted(monkeypatch, capsys, work_dir, {"last.pt": None})
    config = shell_word(work_dir / "config.yaml")
    assert err == f"train: interrupted; resume with python tools/train.py {config} --resume\n"


def test_a_run_of_several_processes_is_resumed_in_as_many(monkeypatch, capsys, tmp_path):
    """Under torchrun (the user's own, or --nproc's) the count comes from WORLD_SIZE; only
    rank 0 says it."""
    work_dir = tmp_path / "run"
    torchrun = {"RANK": "0", "WORLD_SIZE": "4"}
    err = _interrupted(monkeypatch, capsys, work_dir, {"last.pt": None}, torchrun)
    assert err.endswith("--resume --nproc 4\n")
    other = {"RANK": "1", "WORLD_SIZE": "4"}
    err = _interrupted(monkeypatch, capsys, tmp_path / "run1", {"last.pt": None}, other)
    assert err == "train: interrupted\n"


def test_a_damaged_last_pt_with_a_good_older_copy_gets_it_too(monkeypatch, capsys, tmp_path):
    checkpoints = {"last.1.pt": None, "last.pt": b"cut"}
    err = _interrupted(monkeypatch, capsys, tmp_path / "run", checkpoints)
    assert err.startswith("train: interrupted; resume with ") and "--resume" in err


@pytest.mark.parametrize("checkpoints", [{}, {"last.pt": b"PK\x03\x04cut short"}])
def test_no_readable_checkpoint_is_the_plain_line(monkeypatch, capsys, tmp_path, checkpoints):
    err = _interrupted(monkeypatch, capsys, tmp_path / "run", checkpoints)
    assert err == "train: interrupted\n"
