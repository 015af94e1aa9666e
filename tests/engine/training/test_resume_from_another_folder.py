"""``detseg-train RUN/config.yaml --resume`` (the interrupted run's resume line) continues the
folder that ``config.yaml`` is in: from any current folder (the file's ``work_dir`` is the
relative ``--work-dir`` the run was started with), and for a copied folder (its ``work_dir``
names the original, which the resume must leave alone).

The run is a tiny Faster R-CNN (``tiny_detector``) on 6 shapes images, in this process; the
signal is a SIGINT sent from ``train``'s ``after_step`` hook after the first step; the resume
is ``tools/train.py``'s ``main``.
"""

from __future__ import annotations

import os
import shutil
import signal
from pathlib import Path

import pytest
import torch
import yaml
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn
from tool_modules import load_tool

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.tensorboard=false",
    "train.eval_every=1",
    "eval.batch_size=2",
    "device=cpu",
]


def _interrupt(state) -> None:
    if state.iteration == 1:
        os.kill(os.getpid(), signal.SIGINT)


def _interrupted_run(tmp_path: Path, monkeypatch) -> Path:
    """The folder ``here/run`` of a run started with ``--work-dir run`` and interrupted after
    its first step."""
    shapes = tmp_path / "shapes"
    generate_shapes(shapes, num_train=6, num_val=2, size=64, seed=1)
    started = tmp_path / "here"
    started.mkdir()
    monkeypatch.chdir(started)
    cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={shapes}"])
    assert train(cfg, Path("run"), after_step=_interrupt).exit_code == 128 + signal.SIGINT
    saved = yaml.safe_load((started / "run" / "config.yaml").read_text(encoding="utf-8"))
    assert saved["work_dir"] == "run"  # as given: the folder may be moved or copied
    return started / "run"


@pytest.fixture
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def test_the_run_config_resumes_the_run_from_another_folder(
    tmp_path, monkeypatch, one_thread
) -> None:
    run = _interrupted_run(tmp_path, monkeypatch)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the resume line's command, from another folder
    assert load_tool("train.py").main([str(run / "config.yaml"), "--resume"]) == 0
    assert load_checkpoint(run / "last.pt")["meta"]["iteration"] == 3
    assert list(elsewhere.iterdir()) == []


def test_a_copied_run_folder_resumes_itself(tmp_path, monkeypatch, one_thread) -> None:
    run = _interrupted_run(tmp_path, monkeypatch)
    copy = tmp_path / "copy"
    shutil.copytree(run, copy)
    original = (run / "last.pt").read_bytes()
    assert load_tool("train.py").main([str(copy / "config.yaml"), "--resume"]) == 0
    assert load_checkpoint(copy / "last.pt")["meta"]["iteration"] == 3
    assert (run / "last.pt").read_bytes() == original  # the original run is left as it was


def test_a_work_dir_given_on_the_command_line_wins(tmp_path) -> None:
    """``--work-dir`` or ``--set work_dir=...`` names the folder to resume, whatever the
    folder of the ``config.yaml`` given."""
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yaml").write_text("work_dir: run\n")
    (run / "last.pt").write_bytes(b"")
    tool = load_tool("train.py")
    config = str(run / "config.yaml")
    given = {
        "--work-dir": ([config, "--resume", "--work-dir", "other"], None),
        "--set": ([config, "--resume", "--set", "work_dir=other"], "other"),
        "none": ([config, "--resume"], "run"),
    }
    found = {
        how: tool._work_dir(tool.parse_args(argv), cfg_work_dir)
        for how, (argv, cfg_work_dir) in given.items()
    }
    assert found == {"--work-dir": Path("other"), "--set": Path("other"), "none": run}
