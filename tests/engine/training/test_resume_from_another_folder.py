"""The interrupted run's resume line, ``detseg-train WORK_DIR/config.yaml --resume``, works from
any current folder: ``config.yaml`` holds the run's folder as an absolute ``work_dir`` even when
the run was started with a relative ``--work-dir`` (relative, the file sent a resume from
another folder to a ``work_dir`` that does not exist there).

The run is a tiny Faster R-CNN (``tiny_detector``) on 6 shapes images, in this process; the
signal is a SIGINT sent from ``train``'s ``after_step`` hook after the first step.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import torch
import yaml
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

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


def test_the_run_config_resumes_the_run_from_another_folder(tmp_path, monkeypatch) -> None:
    shapes = tmp_path / "shapes"
    generate_shapes(shapes, num_train=6, num_val=2, size=64, seed=1)
    started, elsewhere = tmp_path / "here", tmp_path / "elsewhere"
    started.mkdir(), elsewhere.mkdir()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        monkeypatch.chdir(started)
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={shapes}"])
        assert train(cfg, Path("run"), after_step=_interrupt).exit_code == 128 + signal.SIGINT
        run_config = started / "run" / "config.yaml"
        saved = yaml.safe_load(run_config.read_text(encoding="utf-8"))
        assert Path(saved["work_dir"]) == started / "run"

        monkeypatch.chdir(elsewhere)  # the resume line's command, from another folder
        cfg = load_config(run_config)
        assert train(cfg, Path(cfg.work_dir), resume=True).exit_code == 0
    finally:
        torch.set_num_threads(threads)
    assert load_checkpoint(started / "run" / "last.pt")["meta"]["iteration"] == 3
    assert list(elsewhere.iterdir()) == []
