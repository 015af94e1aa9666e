"""The end-of-run summary (:func:`detseg.engine.training.run_summary.summary_lines`, printed by
tools/train.py)."""

from __future__ import annotations

import pytest

from detseg.engine.training import RunState
from detseg.engine.training.run_summary import summary_lines
from detseg.engine.training.trainer import TrainResult
from detseg.engine.validation.detection import COCO_KEYS
from detseg.shell_words import shell_word


def _text(result: TrainResult) -> str:
    return "\n".join(summary_lines(result))


def _result(tmp_path, exit_code: int, **run) -> TrainResult:
    totals = {"iterations": 16, "skipped_images": 0, "dropped_boxes": 0}
    return TrainResult(exit_code, "detection", RunState(**run), totals, 6.0, tmp_path)


@pytest.mark.parametrize(
    ("exit_code", "words"), [(0, "finished in"), (143, "stopped after"), (1, "stopped after")]
)
def test_an_interrupted_run_says_stopped(tmp_path, exit_code, words):
    out = _text(_result(tmp_path, exit_code))
    assert f"Training {words} 6.0 s (16 iterations this run)." in out
    assert ("Interrupted: resume with detseg-train" in out) == (exit_code > 128)


def test_a_voc_metric_run_shows_its_score_key(tmp_path):
    metrics = {key: 0.25 for key in COCO_KEYS} | {"voc_mAP": 0.5}
    result = _result(tmp_path, 0, best_score=0.5, best_epoch=1, last_metrics=metrics)
    result.score_key = "voc_mAP"
    out = _text(result)
    assert "Best validation voc_mAP 0.5000 at epoch 1." in out
    assert "Last evaluation: voc_mAP 0.500  AP 0.250" in out


def test_an_early_stop_is_said_with_its_epoch_and_the_best_epoch(tmp_path):
    run = {"best_score": 0.5, "best_epoch": 1, "evals_since_best": 2, "early_stop_epoch": 3}
    out = _text(_result(tmp_path, 0, **run))
    assert (
        "Stopped early after epoch 3 (train.patience): no improvement in the 2 evaluations "
        "since the best AP at epoch 1." in out
    )
    not_stopped = _result(tmp_path, 0, best_score=0.5, best_epoch=1, evals_since_best=2)
    assert "Stopped early" not in _text(not_stopped)


def test_only_a_detector_run_reports_dropped_boxes(tmp_path):
    detector = _result(tmp_path, 0)
    assert (
        "Skipped images: train 0, val 0 (unreadable); dropped train boxes: 0 (images and boxes "
        "counted each time read)." in _text(detector)
    )
    segmenter = TrainResult(0, "segmentation", RunState(), detector.totals, 6.0, tmp_path)
    out = _text(segmenter)
    assert "Skipped images: train 0, val 0 (unreadable, counted each time read)." in out
    assert "dropped" not in out


def test_the_val_split_s_unreadable_images_are_counted_apart(tmp_path):
    result = _result(tmp_path, 0)
    result.totals.update(skipped_images=4, dropped_boxes=2, val_skipped_images=3)
    assert (
        "Skipped images: train 4, val 3 (unreadable); dropped train boxes: 2 (images and boxes "
        "counted each time read)." in _text(result)
    )


def test_dropped_boxes_are_said_to_count_each_read(tmp_path):
    """2 bad boxes read in each of 2 epochs count 4: the line says each read counts, of the
    boxes as of the images (no count on the line reads as a count of distinct boxes)."""
    result = _result(tmp_path, 0)
    result.totals.update(dropped_boxes=4)
    (line,) = [line for line in summary_lines(result) if line.startswith("Skipped images")]
    assert line.endswith("dropped train boxes: 4 (images and boxes counted each time read).")


def test_one_iteration_is_said_in_the_singular(tmp_path):
    result = _result(tmp_path, 0)
    result.totals["iterations"] = 1
    assert "(1 iteration this run)." in _text(result)


def test_the_resume_line_is_a_command_that_resumes_the_same_run(tmp_path):
    single = _text(_result(tmp_path, 143))
    config = tmp_path / "config.yaml"
    assert f"Interrupted: resume with detseg-train {config} --resume (tools/train.py)" in single
    result = _result(tmp_path, 130)
    result.world_size = 2
    assert f"detseg-train {config} --resume --nproc 2 (tools/train.py; or the same " in _text(
        result
    )


def test_a_metric_without_ground_truth_reads_n_a(tmp_path):
    metrics = {key: 0.25 for key in COCO_KEYS} | {"APl": -1.0, "ARl": -1.0}
    out = _text(_result(tmp_path, 0, last_metrics=metrics))
    assert "APm 0.250  APl n/a" in out and "ARl n/a" in out and "-1.000" not in out


def test_the_resume_command_quotes_a_path_with_a_space(tmp_path):
    result = _result(tmp_path / "my run", 143)
    config = shell_word(tmp_path / "my run" / "config.yaml")  # quoted on every system
    assert config[0] in "'\"" and f"resume with detseg-train {config} --resume (tools/" in _text(
        result
    )


@pytest.mark.parametrize(
    ("windows", "path", "word"),
    [
        (False, "/runs/my run/config.yaml", "'/runs/my run/config.yaml'"),
        (False, "/runs/demo/config.yaml", "/runs/demo/config.yaml"),
        (True, r"C:\runs\demo\config.yaml", r"C:\runs\demo\config.yaml"),  # cmd takes no '
        (True, r"C:\my runs\config.yaml", r'"C:\my runs\config.yaml"'),
        (True, r"C:\R&D\config.yaml", r'"C:\R&D\config.yaml"'),
        (True, r"C:\runs\50%off\a(1).yaml", r'"C:\runs\50%off\a(1).yaml"'),
        (True, "", '""'),
    ],
)
def test_a_path_in_a_command_is_one_word_of_the_user_s_shell(windows, path, word):
    assert shell_word(path, windows=windows) == word
