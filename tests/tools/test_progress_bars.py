"""The long operations of the tools show a tqdm bar on stderr: on a terminal by default
(``progress=None``), always with ``progress=True``, never with ``progress=False``. The bar's
first state (``0/N``) is what a test can count on: later ones are drawn at most every 0.1 s.

make_shapes (images written per split), convert_dataset (images read per split), anchors
(training images read, k-means iterations) and benchmark (timed calls, COCO backends); a COCO
evaluation, which the libraries run without progress, says what it evaluates before it starts.
"""

from __future__ import annotations

import json
import logging

import pytest
import torch
from two_image_ground_truth import GT

from detseg.benchmark.coco_backends import compare_coco_backends
from detseg.benchmark.throughput import measure_interleaved
from detseg.convert.datasets import convert_dataset, read_dataset
from detseg.data.anchor_kmeans import kmeans_anchors
from detseg.data.shapes import generate_shapes
from detseg.dataset_check.box_sizes import training_box_sizes
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files


@pytest.mark.parametrize("workers", [1, 2])
def test_make_shapes_counts_the_images_of_each_split(tmp_path, capsys, workers):
    generate_shapes(
        tmp_path / "shapes", num_train=5, num_val=3, size=32, workers=workers, progress=True
    )
    err = capsys.readouterr().err
    assert "shapes train" in err and "0/5" in err  # the bar and its total
    assert "shapes val" in err and "0/3" in err


@pytest.mark.parametrize("progress", [None, False])
def test_make_shapes_bar_hidden_off_a_terminal_or_when_off(tmp_path, capsys, progress):
    generate_shapes(tmp_path / "shapes", num_train=2, num_val=1, size=32, progress=progress)
    assert "shapes train" not in capsys.readouterr().err  # pytest's stderr is no terminal


@pytest.mark.parametrize("fmt", ["coco", "voc", "yolo"])
def test_dataset_conversion_bar_counts_the_images_read(shapes, tmp_path, capsys, fmt):
    root = shapes
    if fmt != "coco":
        root = tmp_path / fmt
        convert_dataset(shapes, root, "coco", fmt, splits=["train"], progress=False)
        assert "read coco" not in capsys.readouterr().err
    read_dataset(root, fmt, splits=["train"], progress=True)
    err = capsys.readouterr().err
    assert f"read {fmt} train" in err and "0/16" in err


@pytest.mark.parametrize("progress", [True, None])
def test_conversion_bars_off_a_terminal_only_when_forced(shapes, tmp_path, capsys, progress):
    convert_dataset(shapes, tmp_path / "yolo", "coco", "yolo", splits=["val"], progress=progress)
    err = capsys.readouterr().err
    shown = "read coco val" in err and "yolo val" in err and "0/8" in err  # read, then written
    assert shown == bool(progress), err  # pytest's stderr is no terminal


def test_anchors_bar_counts_the_training_images_read(shapes, tmp_path, capsys):
    data = tmp_path / "data.yaml"
    data.write_text(f"data:\n  format: coco\n  root: {shapes}\n")
    sizes = training_box_sizes(data, 416, progress=True)
    err = capsys.readouterr().err
    assert sizes.shape[0] > 0
    assert "read train" in err and "0/16" in err


def test_kmeans_bar_counts_the_iterations(capsys):
    wh = torch.rand(200, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    kmeans_anchors(wh * 100 + 1, k=3, progress=True)
    assert "k-means k=3, 200 boxes" in capsys.readouterr().err
    kmeans_anchors(wh * 100 + 1, k=3)
    assert "k-means" not in capsys.readouterr().err


def test_benchmark_bar_counts_the_timed_calls(capsys):
    calls = {"a": lambda: None, "b": lambda: None}
    measure_interleaved(calls, 1, torch.device("cpu"), 2, 1, "training steps", progress=True)
    err = capsys.readouterr().err
    assert "training steps" in err and "0/6" in err  # (1 warm-up + 2 timed) x 2 calls


def test_coco_evaluation_names_what_it_evaluates_before_it_starts(tmp_path, caplog):
    """COCOeval reports no progress: an info line says what the wait is for."""
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    records = [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "score": 0.9}]
    pred.write_text(json.dumps(records))
    with caplog.at_level(logging.INFO):
        evaluate_prediction_files(gt, pred, out=tmp_path / "eval")
    [line] = [r.getMessage() for r in caplog.records if "COCO bbox evaluation" in r.getMessage()]
    assert "of 2 images, 1 detections" in line and "faster-coco-eval" in line


def test_benchmark_eval_bar_names_the_backends_it_times(capsys):
    detections = [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 20], "score": 0.9}]
    assert compare_coco_backends(GT, detections, progress=True).agree
    err = capsys.readouterr().err
    assert "COCO evaluation" in err and "0/6" in err and "faster" in err  # 3 calls each


@pytest.mark.parametrize(("progress", "shown"), [(True, True), (None, False), (False, False)])
def test_check_data_bar_is_shown_on_a_terminal_or_when_forced(shapes, capsys, progress, shown):
    from detseg.dataset_check import check_dataset

    check_dataset({"format": "coco", "root": str(shapes)}, ("val",), progress=progress)
    err = capsys.readouterr().err
    assert ("check val" in err and "0/8" in err) == shown  # pytest's stderr is no terminal


def test_progress_bar_follows_the_terminal_unless_told(monkeypatch):
    from detseg.progress_bars import progress_bar

    assert progress_bar([1, 2], progress=False).disable
    assert not progress_bar([1, 2], progress=True).disable
    monkeypatch.setattr("sys.stderr.isatty", lambda: False, raising=False)
    assert progress_bar([1, 2]).disable  # None: no terminal, no bar
