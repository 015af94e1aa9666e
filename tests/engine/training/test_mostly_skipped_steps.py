"""A run under ``train.on_nonfinite: skip`` whose model has diverged (most steps dropped) says
so: a warning at the end of each epoch of which more than half of the steps were skipped, with
the share and what to do, and the summary's line gives the run's share (instead of a bare
count under "Training finished")."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import RunState
from detseg.engine.training.epoch_loop import close_epoch_training
from detseg.engine.training.loop_results import EpochStats
from detseg.engine.training.run_summary import summary_lines
from detseg.engine.training.trainer import TrainResult


def _close_epoch(skipped: int, steps: int, is_main: bool = True) -> None:
    records = SimpleNamespace(log=lambda record: None)
    # another rank's view, without the collectives of a real second process
    dist = DistInfo() if is_main else SimpleNamespace(is_main=False, enabled=False, rank=1)
    run = SimpleNamespace(
        dist=dist,
        records=records,
        state=RunState(iteration=steps),
    )
    close_epoch_training(run, 3, EpochStats(iterations=steps, batches=steps, skipped_steps=skipped))


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_an_epoch_with_most_steps_skipped_warns_with_share_and_advice(caplog):
    with caplog.at_level(logging.WARNING):
        _close_epoch(5, 6)
    (warning,) = _warnings(caplog)
    assert warning.startswith(
        "5 of 6 steps of epoch 3 (83%) were skipped for a non-finite loss or gradient norm: "
        "the model is hardly learning; lower train.lr"
    )
    assert "check the data" in warning and "train.on_nonfinite=stop" in warning


@pytest.mark.parametrize(("skipped", "steps"), [(3, 6), (1, 6), (0, 6), (0, 0)])
def test_half_or_fewer_skipped_steps_give_no_warning(caplog, skipped, steps):
    with caplog.at_level(logging.WARNING):
        _close_epoch(skipped, steps)
    assert _warnings(caplog) == []


def test_every_step_skipped_is_said_as_such(caplog):
    with caplog.at_level(logging.WARNING):
        _close_epoch(6, 6)
    (warning,) = _warnings(caplog)
    assert warning.startswith(
        "every step of epoch 3 (6) was skipped for a non-finite loss or gradient norm"
    )


def test_only_rank_0_warns(caplog):
    with caplog.at_level(logging.WARNING):
        _close_epoch(5, 6, is_main=False)
    assert _warnings(caplog) == []


def _summary(tmp_path, skipped: int, steps: int) -> str:
    totals = {"iterations": steps, "skipped_images": 0, "dropped_boxes": 0}
    run = RunState(iteration=steps, skipped_steps=skipped)
    return "\n".join(summary_lines(TrainResult(0, "detection", run, totals, 6.0, tmp_path)))


def test_the_summary_gives_the_share_of_skipped_steps(tmp_path):
    out = _summary(tmp_path, 5, 6)
    assert (
        "Steps skipped for a non-finite loss or gradient norm: 5 of 6 (83%). "
        "The model is hardly learning: " in out
    )
    assert "train.on_nonfinite=stop" in out
    out = _summary(tmp_path, 1, 8)
    assert "Steps skipped for a non-finite loss or gradient norm: 1 of 8 (12%).\n" in out
    assert "Steps skipped" not in _summary(tmp_path, 0, 8)
