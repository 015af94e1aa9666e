"""A stop signal that comes during the last epoch's evaluation (here while COCO scores the
predictions, after the evaluation's last batch) stops the run as a signal during a step does:
the interrupt exit code, ``last.pt`` with the epoch not closed and the summary's resume line;
the ``--resume`` evaluates again and finishes. A signal after the last evaluation (while
``best.pt`` is written) has nothing left to stop: the run finishes and its summary says when the
signal came."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.training import epoch_loop
from detseg.engine.training.run_summary import summary_lines
from detseg.engine.validation import sharded

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def cfg(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=2, num_val=2, size=64, seed=1)
    overrides = [
        *tiny_faster_rcnn(size=64),
        *SMALL_HEADS,
        "train.epochs=1",
        "train.batch_size=2",
        "train.num_workers=0",
        "train.tensorboard=false",
        "eval.batch_size=2",
        "eval.val_loss=false",
        "device=cpu",
        f"data.root={root}",
    ]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield load_config(REPO / "configs" / "demo.yaml", overrides)
    torch.set_num_threads(threads)


def _signalling(function):
    """``function`` that first sends this process a SIGINT (handled by the run's
    ``StopSignals``: a stop request)."""

    def call(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGINT)
        return function(*args, **kwargs)

    return call


def test_a_signal_while_coco_scores_the_last_evaluation_interrupts(cfg, tmp_path, monkeypatch):
    work_dir = tmp_path / "run"
    with monkeypatch.context() as patch:
        patch.setattr(sharded, "detection_metrics", _signalling(sharded.detection_metrics))
        result = train(cfg, work_dir)
    assert result.exit_code == 128 + signal.SIGINT
    assert any(line.startswith("Interrupted: resume with") for line in summary_lines(result))
    run = load_checkpoint(work_dir / "last.pt")["meta"]["run"]
    assert (run["epoch"], run["epoch_batches"], run["iteration"]) == (0, 1, 1)  # not closed
    assert not (work_dir / "best.pt").exists()
    resumed = train(cfg, work_dir, resume=True)
    assert resumed.exit_code == 0 and resumed.run.best_epoch == 0
    assert resumed.late_signal is None
    assert (work_dir / "best.pt").is_file()


def test_a_signal_after_the_last_evaluation_finishes_and_says_so(cfg, tmp_path, monkeypatch):
    monkeypatch.setattr(epoch_loop, "save_best", _signalling(epoch_loop.save_best))
    result = train(cfg, tmp_path / "run")
    assert result.exit_code == 0 and result.late_signal == signal.SIGINT
    lines = summary_lines(result)
    assert (
        "SIGINT came after the last step and evaluation: the run finished (nothing to resume)."
        in lines
    )
    assert not any(line.startswith("Interrupted") for line in lines)


def test_a_signal_during_the_ema_evaluation_records_the_epoch_once(cfg, tmp_path, monkeypatch):
    """With EMA the model's and the EMA model's evaluations both run before any ``val``
    record is written: a signal during the second one leaves no record, and the resumed run
    writes each record of the epoch once."""
    cfg.train.ema = True
    work_dir = tmp_path / "run"
    calls = {"n": 0}
    scored = sharded.detection_metrics

    def second_signals(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:  # the EMA model's scoring
            os.kill(os.getpid(), signal.SIGINT)
        return scored(*args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(sharded, "detection_metrics", second_signals)
        assert train(cfg, work_dir).exit_code == 128 + signal.SIGINT
    assert train(cfg, work_dir, resume=True).exit_code == 0
    records = [json.loads(line) for line in (work_dir / "metrics.jsonl").read_text().splitlines()]
    kinds = [r["type"] for r in records if r["type"] in ("val", "val_ema")]
    assert kinds == ["val", "val_ema"]
