"""``best.pt`` is written before the ``last.pt`` that records its epoch as the best: a run
killed while it writes ``best.pt`` resumes from the ``last.pt`` before (here the periodic one of
step 2), evaluates again and writes the ``best.pt`` that its best score names."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.training import epoch_loop

REPO = Path(__file__).resolve().parents[3]


def _killed(run) -> None:
    raise KeyboardInterrupt  # a second Ctrl-C (or a kill) while best.pt is written


def test_kill_while_writing_best_leaves_a_resumable_best(tmp_path, monkeypatch):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=8, num_val=2, size=64, seed=1)
    overrides = [
        *tiny_faster_rcnn(size=64),
        *SMALL_HEADS,
        "train.epochs=1",
        "train.batch_size=2",
        "train.checkpoint_every=2",
        "train.num_workers=0",
        "train.tensorboard=false",
        "eval.batch_size=2",
        "device=cpu",
        f"data.root={root}",
    ]
    cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with monkeypatch.context() as patch:
            patch.setattr(epoch_loop, "save_best", _killed)
            with pytest.raises(KeyboardInterrupt):
                train(cfg, tmp_path / "run")
        result = train(cfg, tmp_path / "run", resume=True)
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0 and result.run.best_epoch == 0
    best = load_checkpoint(tmp_path / "run" / "best.pt")
    assert best["meta"]["run"]["best_epoch"] == 0
