"""RunState: best score and early stopping, and the state of older checkpoints."""

from __future__ import annotations

from detseg.engine.training import RunState


def test_early_stopping_counts_evaluations_without_improvement():
    run = RunState()
    assert run.record_score(0.3, 0) and run.best_epoch == 0
    assert not run.record_score(0.3, 1)  # equal is not better
    assert not run.record_score(float("nan"), 2)
    assert run.should_stop_early(2) and not run.should_stop_early(3)
    assert not run.should_stop_early(None)
    assert run.record_score(0.4, 3) and run.evals_since_best == 0
    restored = RunState.from_meta({"epoch": 1, "iteration": 5, "best_ap": 0.2, "best_epoch": 0})
    assert restored.best_score == 0.2 and restored.epoch_batches == 0  # an older checkpoint
