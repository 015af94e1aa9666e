"""A process of a distributed run that loses another one says so in one line, exit code 1."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from tool_modules import load_tool

from detseg.command_line import run_command
from detseg.engine import training
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.runtime.failing_together import PeerLostError, peer_lost

GLOO_RESET = (
    "[../third_party/gloo/gloo/transport/tcp/pair.cc:545] Read error [127.0.0.1]:26778: "
    "Connection reset by peer. This is typically caused by a remote worker hanging"
)
TWO = DistInfo(rank=0, world_size=2)
REPO = Path(__file__).resolve().parents[3]


def test_a_collective_error_about_the_other_end_is_a_lost_peer():
    lost = peer_lost(RuntimeError(GLOO_RESET), TWO)
    assert isinstance(lost, PeerLostError)
    assert str(lost).startswith(
        "process 0 of 2: another process of the run ended (Connection reset by peer); its own "
        "output says why."
    )
    # named as a Python caller of detseg.engine.train gives it; tools/train.py: below
    assert str(lost).endswith("fix the cause and continue with resume=True")


@pytest.mark.parametrize(
    ("error", "dist"),
    [
        (RuntimeError(GLOO_RESET), DistInfo()),  # one process: no peer to lose
        (RuntimeError("CUDA out of memory"), TWO),  # another error: keeps its traceback
    ],
)
def test_other_errors_are_left_as_they_are(error, dist):
    assert peer_lost(error, dist) is None


def test_the_command_prints_one_line_and_exits_with_1(capsys, monkeypatch):
    def main() -> int:
        raise peer_lost(RuntimeError(GLOO_RESET), TWO) or AssertionError

    monkeypatch.setattr(sys, "argv", ["train.py"])
    with pytest.raises(SystemExit) as stop:
        run_command(main, "train")
    assert stop.value.code == 1
    (line,) = capsys.readouterr().err.splitlines()
    assert line.startswith("train: error: process 0 of 2: another process of the run ended")


def test_the_train_tool_names_its_resume_flag_and_exits_with_1(capsys, monkeypatch, tmp_path):
    def train(*args, **kwargs):
        raise peer_lost(RuntimeError(GLOO_RESET), TWO) or AssertionError

    tool = load_tool("train.py")
    monkeypatch.setattr(training, "train", train)
    argv = ["train.py", str(REPO / "configs" / "demo.yaml"), "--work-dir", str(tmp_path)]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit) as stop:
        run_command(tool.main, "train")
    assert stop.value.code == 1
    line = capsys.readouterr().err.splitlines()[-1]
    assert line.startswith("train: error: process 0 of 2: another process of the run ended")
    assert line.endswith("fix the cause and continue with --resume")
