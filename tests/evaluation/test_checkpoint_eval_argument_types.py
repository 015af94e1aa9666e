"""``evaluate_checkpoint``'s keyword arguments from Python: a score threshold in a 0-d tensor
or a numpy scalar is its number (``metrics.json`` holds a plain float); a threshold outside
``[0, 1]`` or a ``worst_k`` that is no count is refused before any work, naming the argument;
``overrides`` may be a mapping, as ``detseg.load`` takes it, also beside ``backend``."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("eval_argument_types")
    generate_shapes(root / "shapes", num_train=1, num_val=2, size=64, seed=4)
    overrides = [*DETECTOR, f"data.root={root / 'shapes'}"]
    return write_checkpoint(root / "best.pt", "configs/demo.yaml", overrides)


@pytest.mark.parametrize("threshold", [torch.tensor(0.25), np.float32(0.25), np.array(0.25)])
def test_a_zero_d_score_threshold(checkpoint, tmp_path, threshold):
    evaluate_checkpoint(checkpoint, tmp_path / "eval", score_threshold=threshold, worst_k=0)
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["confusion_matrix"]["score_threshold"] == 0.25


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"score_threshold": 1.5}, "score_threshold must lie in [0, 1], got 1.5"),
        ({"score_threshold": torch.tensor([0.5])}, "score_threshold must be a number in [0, 1]"),
        ({"worst_k": 2.5}, "worst_k must be an integer >= 0, got 2.5 (float)"),
        ({"worst_k": "3"}, "worst_k must be an integer >= 0, got '3' (str)"),
        ({"worst_k": -1}, "worst_k must be >= 0, got -1"),
    ],
)
def test_bad_report_settings_are_refused_before_any_work(tmp_path, settings, message):
    with pytest.raises(ValueError) as error:
        evaluate_checkpoint(tmp_path / "missing.pt", tmp_path / "eval", **settings)
    assert str(error.value).startswith(message)
    assert not (tmp_path / "eval").exists()


def test_overrides_as_a_mapping(checkpoint, tmp_path):
    summary = evaluate_checkpoint(
        checkpoint,
        tmp_path / "eval",
        overrides={"eval.max_images": np.int64(1)},
        backend="pycocotools",
        worst_k=np.int64(0),
    )
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["info"]["images"] == 1, summary
    assert metrics["info"]["backend"] == "pycocotools"
