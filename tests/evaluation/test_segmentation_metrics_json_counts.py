"""A segmenter's ``metrics.json`` holds the pixel counts of its confusion matrix, from which
every number of the file (and the figure) can be recomputed; readers of the file keep their
keys (``info.confusion_matrix`` still names the figure)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import torch
from random_checkpoints import TINY_UNET, write_checkpoint

from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.engine.validation.segmentation import SEG_KEYS, write_segmentation_metrics
from detseg.evaluation import checkpoint_eval
from detseg.evaluation.segmentation import ConfusionMatrix

OVERRIDES = TINY_UNET


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Path:
    """A random-weight U-Net checkpoint whose val split is 3 generated 64 px shapes images."""
    root = tmp_path_factory.mktemp("seg_counts")
    generate_shapes(root / "shapes", num_train=1, num_val=3, size=64, seed=0)
    config = "configs/segmentation/unet_shapes.yaml"
    return write_checkpoint(root / "best.pt", config, [*OVERRIDES, f"data.root={root / 'shapes'}"])


def recomputed(counts: list[list[int]]) -> dict:
    """The metrics of a confusion matrix given by its counts."""
    matrix = ConfusionMatrix(len(counts))
    matrix.matrix = torch.tensor(counts, dtype=torch.int64)
    return matrix.compute()


def same(a: float | str, b: float) -> bool:
    """``a`` (a number of metrics.json, ``"nan"`` for nan) equals ``b``."""
    return math.isnan(b) if a == "nan" else a == pytest.approx(b)


def test_metrics_json_holds_the_counts_that_give_its_numbers(segmenter, tmp_path):
    out = tmp_path / "eval"
    checkpoint_eval.evaluate_checkpoint(segmenter, out)
    written = json.loads((out / "metrics.json").read_text())
    names = ["background", *SHAPE_CLASSES]
    confusion = written["confusion_matrix"]
    assert confusion["classes"] == names
    assert confusion["rows"].startswith("ground truth") and confusion["columns"] == "predicted"
    counts = confusion["matrix"]
    assert len(counts) == len(names) and all(len(row) == len(names) for row in counts)
    assert all(type(count) is int for row in counts for count in row)
    assert sum(map(sum, counts)) == 3 * 64 * 64  # every pixel of the 3 images, none void
    again = recomputed(counts)
    assert all(same(written[key], again[key]) for key in SEG_KEYS)
    assert all(same(written["IoU"][n], iou) for n, iou in zip(names, again["IoU"], strict=True))
    assert written["info"]["confusion_matrix"] == "confusion_matrix.png"  # readers keep it
    assert written["num_classes"] == len(names)


def test_each_row_of_the_matrix_is_one_line(tmp_path):
    matrix = ConfusionMatrix(3)
    matrix.update(torch.tensor([[0, 1, 2, 2]]), torch.tensor([[0, 1, 1, 255]]))
    info = {"note": "matrix rows"}  # a value spelling the writer's placeholder stays as it is
    path = write_segmentation_metrics(tmp_path, {**matrix.compute(), "images": 1}, ["a", "b"], info)
    text = path.read_text()
    assert "   [0, 1, 1],\n" in text and "   [0, 0, 0]\n" in text
    written = json.loads(text)
    assert written["confusion_matrix"]["matrix"] == [[1, 0, 0], [0, 1, 1], [0, 0, 0]]
    assert written["info"] == info


def test_metrics_without_counts_write_no_matrix(tmp_path):
    metrics = {**ConfusionMatrix(2).compute(), "images": 0}
    del metrics["confusion_matrix"]
    path = write_segmentation_metrics(tmp_path, metrics, ["a"], {})
    assert "confusion_matrix" not in json.loads(path.read_text())
