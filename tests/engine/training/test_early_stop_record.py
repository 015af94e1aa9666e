"""The ``early_stop`` record of metrics.jsonl (and its log line) is written only when
``train.patience`` ends the run before its epochs (or ``train.max_iters``) are done: a run whose
patience runs out at its last evaluation simply finished."""

from __future__ import annotations

import contextlib
import logging
from types import SimpleNamespace

import pytest

from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import epoch_loop
from detseg.engine.training.loop_results import EpochStats
from detseg.engine.training.run_state import RunState

STEPS = 3  # optimizer steps per epoch


def _run(epochs: int, patience: int, max_iters: int | None = None) -> SimpleNamespace:
    """The parts of a :class:`~detseg.engine.training.training_run.TrainingRun` the epoch loop
    reads; ``records.logged`` holds the metrics.jsonl records."""
    train = SimpleNamespace(epochs=epochs, max_iters=max_iters, eval_every=1, patience=patience)
    logged: list[dict] = []
    return SimpleNamespace(
        cfg=SimpleNamespace(train=train),
        state=RunState(),
        dist=DistInfo(),
        profiler=None,
        score_key="AP",
        records=SimpleNamespace(logged=logged, log=logged.append),
    )


@pytest.fixture
def loop(monkeypatch):
    """``loop(run) -> records``: :func:`epoch_loop.epoch_loop` with every epoch trained in
    ``STEPS`` steps and evaluated at AP 0 (never an improvement after the first)."""

    def train_epoch(run):
        run.state.iteration += STEPS
        run.state.epoch_batches += STEPS
        return EpochStats(iterations=STEPS, batches=STEPS)

    monkeypatch.setattr(epoch_loop, "profiled_epoch", lambda profiler: contextlib.nullcontext())
    monkeypatch.setattr(epoch_loop, "train_epoch", train_epoch)
    monkeypatch.setattr(epoch_loop, "close_epoch_training", lambda run, epoch, stats: None)
    monkeypatch.setattr(epoch_loop, "check_finite", lambda run, name: None)
    monkeypatch.setattr(epoch_loop, "evaluate_epoch", lambda run: {"AP": 0.0})
    monkeypatch.setattr(epoch_loop, "unscored_note", lambda run, score: None)
    monkeypatch.setattr(epoch_loop, "save_best", lambda run: None)
    monkeypatch.setattr(epoch_loop, "save_last_checked", lambda run: None)

    def run_loop(run):
        assert epoch_loop.epoch_loop(run) == 0
        return [r for r in run.records.logged if r["type"] == "early_stop"]

    return run_loop


def test_patience_ending_the_run_before_its_epochs_is_an_early_stop(loop):
    run = _run(epochs=4, patience=1)
    assert loop(run) == [{"type": "early_stop", "epoch": 1, "iteration": 6}]
    assert run.state.epoch == 2


@pytest.mark.parametrize(
    ("epochs", "max_iters"), [(2, None), (5, 6)], ids=["last-epoch", "max-iters"]
)
def test_patience_running_out_at_the_last_evaluation_is_no_early_stop(
    loop, caplog, epochs, max_iters
):
    run = _run(epochs=epochs, patience=1, max_iters=max_iters)
    with caplog.at_level(logging.INFO):
        assert loop(run) == []
    assert not [r for r in caplog.records if "stopping early" in r.getMessage()]
    assert (run.state.epoch, run.state.iteration) == (2, 6)


def test_the_run_state_names_the_epoch_of_an_early_stop(loop):
    run = _run(epochs=4, patience=1)
    loop(run)
    assert run.state.early_stop_epoch == 1
    finished_run = _run(epochs=2, patience=1)
    loop(finished_run)
    assert finished_run.state.early_stop_epoch is None
