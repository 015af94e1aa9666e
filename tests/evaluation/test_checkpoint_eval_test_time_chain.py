"""The printed evaluation of a segmenter names how its label maps were made (TTA views, scales,
CRF), as ``metrics.json`` does: an mIoU that differs from training's one-pass validation says
why on screen.

The checkpoint is a tiny U-Net with random weights on 2 generated 32 px shapes images.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint


@pytest.fixture(scope="module")
def segmenter(tmp_path_factory) -> Path:
    """A random-weight U-Net whose config asks for flips TTA at two scales and a CRF."""
    root = tmp_path_factory.mktemp("seg_chain")
    generate_shapes(root / "shapes", num_train=1, num_val=2, size=32, seed=0)
    overrides = [
        "model.base_channels=8",
        "model.depth=2",
        "eval.tta=flips",
        "eval.tta_scales=[1.0, 1.5]",
        "eval.crf.iterations=2",
        "eval.batch_size=2",
        "data.cache=false",
        f"data.root={root / 'shapes'}",
        "device=cpu",
    ]
    write_checkpoint(root / "best.pt", "configs/segmentation/unet_shapes.yaml", overrides)
    return root / "best.pt"


def test_the_line_above_the_table_names_the_test_time_chain(segmenter, tmp_path):
    summary = evaluate_checkpoint(segmenter, tmp_path / "eval")
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    chain = metrics["info"]["inference"]
    assert chain == "flips TTA x scales [1.0, 1.5] + CRF (2 iterations)"
    lines = summary.text().splitlines()
    assert lines[0] == f"Segmentation evaluation of {segmenter} on 2 images:"
    assert lines[1] == ""
    assert lines[2].startswith(f"Label maps: {chain} ")
    assert "validation during training makes them in one pass" in lines[2]
    assert lines[3] == "" and lines[4].split()[0] == "mIoU"  # then the table


def test_a_one_pass_evaluation_says_so(segmenter, tmp_path):
    overrides = ["eval.tta=none", "eval.tta_scales=[1.0]", "eval.crf.iterations=0"]
    summary = evaluate_checkpoint(segmenter, tmp_path / "eval", overrides=overrides)
    metrics = json.loads((tmp_path / "eval" / "metrics.json").read_text())
    assert metrics["info"]["inference"] == "one pass"
    assert summary.text().splitlines()[2] == (
        "Label maps: one pass, as in validation during training"
    )
