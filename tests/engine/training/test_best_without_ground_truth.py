"""A run whose validation scores -1 (COCO AP of a val split without ground truth) or nan still
writes ``best.pt``: its first evaluated model, with one warning that says why the score is -1;
early stopping does not count such evaluations."""

from __future__ import annotations

import math
from types import SimpleNamespace

from detseg.engine.training.run_state import RunState
from detseg.engine.training.train_steps import unscored_note


def test_the_first_evaluation_is_the_best_whatever_it_scores():
    for first in (-1.0, math.nan, 0.0):
        run = RunState()
        assert run.record_score(first, 0) and run.best_epoch == 0
        assert not run.record_score(first, 1)


def test_a_number_beats_a_nan_best_and_nan_beats_nothing():
    run = RunState()
    assert run.record_score(math.nan, 0)
    assert run.record_score(-1.0, 1) and run.best_score == -1.0 and run.best_epoch == 1
    assert not run.record_score(math.nan, 2) and run.best_epoch == 1


def test_patience_does_not_count_evaluations_that_score_nothing():
    run = RunState()
    for epoch in range(4):
        run.record_score(-1.0, epoch)
    assert run.best_epoch == 0 and run.evals_since_best == 0 and not run.should_stop_early(1)
    assert run.record_score(0.1, 4) and not run.record_score(0.05, 5)
    assert run.evals_since_best == 1 and run.should_stop_early(1)


def test_a_resumed_run_keeps_its_best_of_minus_one():
    run = RunState.from_meta({"epoch": 1, "iteration": 4, "best_score": -1.0, "best_epoch": 0})
    assert not run.record_score(-1.0, 1) and run.best_epoch == 0


def _run(annotations):
    gt = {"images": [{"id": 1}], "annotations": annotations, "categories": []}
    return SimpleNamespace(
        score_key="AP",
        cfg=SimpleNamespace(data=SimpleNamespace(root="data/x")),
        data=SimpleNamespace(val_gt=SimpleNamespace(gt=gt)),
    )


def test_the_warning_names_a_val_split_without_ground_truth():
    note = unscored_note(_run([{"image_id": 1, "iscrowd": 1}]), -1.0)
    assert note == (
        "validation AP is -1 because the val split (data/x) has no ground-truth object to "
        "score; best.pt holds the first evaluated model (train.patience does not count such "
        "evaluations): annotate the val split to pick the best model"
    )
    assert "nothing of the val split (data/x)" in unscored_note(_run([{"iscrowd": 0}]), -1.0)
    assert unscored_note(_run([]), 0.0) is None
