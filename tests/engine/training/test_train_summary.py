"""The end-of-run summary of tools/train.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from detseg.engine.training import RunState
from detseg.engine.training.trainer import TrainResult
from detseg.engine.validation.detection import COCO_KEYS

TOOL = Path(__file__).resolve().parents[3] / "tools" / "train.py"


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("tool_train_summary", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _result(tmp_path, exit_code: int, **run) -> TrainResult:
    totals = {"iterations": 16, "skipped_images": 0, "dropped_boxes": 0}
    return TrainResult(exit_code, "detection", RunState(**run), totals, 6.0, tmp_path)


@pytest.mark.parametrize(
    ("exit_code", "words"), [(0, "finished in"), (143, "stopped after"), (1, "stopped after")]
)
def test_an_interrupted_run_says_stopped(tool, tmp_path, capsys, exit_code, words):
    tool.print_summary(_result(tmp_path, exit_code))
    out = capsys.readouterr().out
    assert f"Training {words} 6.0 s (16 iterations this run)." in out
    assert ("Interrupted: resume with --resume" in out) == (exit_code > 128)


def test_a_voc_metric_run_shows_its_score_key(tool, tmp_path, capsys):
    metrics = {key: 0.25 for key in COCO_KEYS} | {"voc_mAP": 0.5}
    result = _result(tmp_path, 0, best_score=0.5, best_epoch=1, last_metrics=metrics)
    result.score_key = "voc_mAP"
    tool.print_summary(result)
    out = capsys.readouterr().out
    assert "Best validation voc_mAP 0.5000 at epoch 1." in out
    assert "Last evaluation: voc_mAP 0.500  AP 0.250" in out


def test_an_early_stop_is_said_with_its_epoch_and_the_best_epoch(tool, tmp_path, capsys):
    run = {"best_score": 0.5, "best_epoch": 1, "evals_since_best": 2, "early_stop_epoch": 3}
    tool.print_summary(_result(tmp_path, 0, **run))
    out = capsys.readouterr().out
    assert (
        "Stopped early after epoch 3 (train.patience): no improvement in the 2 evaluations "
        "since the best AP at epoch 1." in out
    )
    tool.print_summary(_result(tmp_path, 0, best_score=0.5, best_epoch=1, evals_since_best=2))
    assert "Stopped early" not in capsys.readouterr().out


def test_only_a_detector_run_reports_dropped_boxes(tool, tmp_path, capsys):
    detector = _result(tmp_path, 0)
    tool.print_summary(detector)
    skipped = "Skipped images: train 0, val 0 (unreadable, counted each time read)"
    assert f"{skipped}; dropped train boxes: 0." in capsys.readouterr().out
    segmenter = TrainResult(0, "segmentation", RunState(), detector.totals, 6.0, tmp_path)
    tool.print_summary(segmenter)
    out = capsys.readouterr().out
    assert f"{skipped}." in out
    assert "dropped" not in out


def test_the_val_split_s_unreadable_images_are_counted_apart(tool, tmp_path, capsys):
    result = _result(tmp_path, 0)
    result.totals.update(skipped_images=4, dropped_boxes=2, val_skipped_images=3)
    tool.print_summary(result)
    assert (
        "Skipped images: train 4, val 3 (unreadable, counted each time read); dropped train "
        "boxes: 2." in capsys.readouterr().out
    )
