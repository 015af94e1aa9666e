"""A resumed run stops where the uninterrupted run stops, and closes what it closed.

- ``train.max_iters`` reached by a step during which a signal came: the interrupted run writes
  ``last.pt`` inside the epoch; ``--resume`` must still close that epoch (its evaluation,
  ``best.pt``, the ``last.pt`` of the next epoch) as the uninterrupted run did, instead of
  saying there is nothing to train.
- An early stop (``train.patience``) is final: ``--resume`` of an early-stopped run trains no
  further step and says which key to raise.

The runs are a tiny Faster R-CNN (``tiny_detector``) on 12 shapes images: 3 steps an epoch (6
batches of 2 images, 2 accumulated), EMA on, in this process; the signal is a SIGINT sent from
``train``'s ``after_step`` hook, which lands during the next step.
"""

from __future__ import annotations

import logging
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
from detseg.engine.records import read_metrics

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=96, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=2",
    "train.batch_size=2",
    "train.accumulate=2",
    "train.ema=true",
    "train.ema_warmup=3",
    "train.eval_every=1",
    "train.log_every=1",
    "train.warmup_iters=2",
    "train.num_workers=0",
    "train.tensorboard=false",
    "eval.batch_size=2",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("limit_shapes")
    generate_shapes(root, num_train=12, num_val=4, size=96, seed=1)
    return root


@pytest.fixture(scope="module")
def run_tiny(shapes):
    """``run_tiny(work_dir, *overrides, resume=False, stop_after=None) -> exit code``.

    ``stop_after=k`` sends SIGINT once ``k`` steps are done: the run stops after step
    ``k + 1`` (or during the evaluation, when step ``k`` ends an epoch).
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def run(work_dir: Path, *extra: str, resume: bool = False, stop_after: int | None = None):
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={shapes}", *extra])

        def interrupt(state) -> None:
            if state.iteration == stop_after:
                os.kill(os.getpid(), signal.SIGINT)

        hook = None if stop_after is None else interrupt
        return train(cfg, work_dir, resume=resume, after_step=hook).exit_code

    yield run
    torch.set_num_threads(threads)


def _records(work_dir: Path, kind: str) -> list[dict]:
    return [r for r in read_metrics(work_dir / "metrics.jsonl") if r["type"] == kind]


def _assert_same_weights(expected: dict, got: dict) -> None:
    for key, value in expected["model"].items():
        assert torch.equal(value, got["model"][key]), key


LIMIT = "train.max_iters=5"  # mid epoch 1 (3 steps an epoch)


@pytest.fixture(scope="module")
def reference(run_tiny, tmp_path_factory) -> Path:
    """The uninterrupted run of 5 steps."""
    work_dir = tmp_path_factory.mktemp("reference")
    assert run_tiny(work_dir, LIMIT) == 0
    return work_dir


def _epoch_records(work_dir: Path) -> list[tuple[int, int]]:
    """``(epoch, iteration)`` of each ``epoch`` record; each must have the loss means."""
    records = _records(work_dir, "epoch")
    assert all("loss" in r for r in records), records
    return [(r["epoch"], r["iteration"]) for r in records]


def test_a_signal_on_the_max_iters_step_still_closes_the_epoch_on_resume(
    run_tiny, reference, tmp_path, caplog
):
    limit, resumed = LIMIT, tmp_path / "resumed"
    assert run_tiny(resumed, limit, stop_after=4) == 130  # stops after step 5, the last
    stopped = load_checkpoint(resumed / "last.pt")["meta"]["run"]
    assert (stopped["epoch"], stopped["iteration"]) == (1, 5)  # the epoch is not closed yet
    with caplog.at_level(logging.WARNING):
        assert run_tiny(resumed, limit, resume=True) == 0
    assert not [r for r in caplog.records if "nothing to train" in r.getMessage()]
    expected, got = (load_checkpoint(d / "last.pt") for d in (reference, resumed))
    assert got["meta"]["run"] == expected["meta"]["run"]  # epoch 2, iteration 5, best score
    _assert_same_weights(expected, got)
    assert [r["iteration"] for r in _records(resumed, "val")] == [3, 5]
    assert [r["iteration"] for r in _records(resumed, "train")] == [0, 1, 2, 3, 4]  # no step
    assert _epoch_records(resumed) == _epoch_records(reference) == [(0, 3), (1, 5)]
    best_expected, best_got = (load_checkpoint(d / "best.pt") for d in (reference, resumed))
    assert got["meta"]["score_by"] == best_got["meta"]["score_by"] == "AP (coco)"
    assert best_got["meta"]["run"] == best_expected["meta"]["run"]
    _assert_same_weights(best_expected, best_got)
    # resumed once more, the run has nothing left
    with caplog.at_level(logging.WARNING):
        assert run_tiny(resumed, limit, resume=True) == 0
    assert any("nothing to train" in r.getMessage() for r in caplog.records)


def test_an_early_stopped_run_stays_stopped_on_resume(run_tiny, tmp_path, caplog):
    patience = ("train.patience=1", "train.epochs=4")  # AP stays 0: stops after epoch 1
    assert run_tiny(tmp_path, *patience) == 0
    assert [r["epoch"] for r in _records(tmp_path, "early_stop")] == [1]
    stopped = load_checkpoint(tmp_path / "last.pt")
    with caplog.at_level(logging.WARNING):
        assert run_tiny(tmp_path, *patience, resume=True) == 0
    said = [r.getMessage() for r in caplog.records if "nothing to train" in r.getMessage()]
    assert said == [
        "nothing to train: the run stopped early after 1 evaluation without improvement "
        "(train.patience=1); raise train.patience and resume the run to train further"
    ]
    after = load_checkpoint(tmp_path / "last.pt")
    assert after["meta"]["run"] == stopped["meta"]["run"]
    _assert_same_weights(stopped, after)
    assert len(_records(tmp_path, "train")) == 6  # no step after the early stop


def test_a_signal_during_an_evaluation_redoes_it_on_resume_with_one_epoch_record(
    run_tiny, reference, tmp_path
):
    assert run_tiny(tmp_path, LIMIT, stop_after=3) == 130  # step 3 ends epoch 0: its evaluation
    assert _records(tmp_path, "val") == []
    assert run_tiny(tmp_path, LIMIT, resume=True) == 0
    assert _epoch_records(tmp_path) == _epoch_records(reference) == [(0, 3), (1, 5)]
    assert [r["iteration"] for r in _records(tmp_path, "val")] == [3, 5]
    for name in ("last.pt", "best.pt"):
        expected, got = (load_checkpoint(d / name) for d in (reference, tmp_path))
        assert got["meta"]["run"] == expected["meta"]["run"], name
        _assert_same_weights(expected, got)
