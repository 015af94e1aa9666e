"""A checkpoint whose ``classes`` keep surrounding spaces (a COCO json's ``" circle "`` taken
as written) is read with the names the dataset readers give (``circle``): it evaluates and
resumes on its own data, where the names it stored would differ from the data's."""

from __future__ import annotations

from pathlib import Path

import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.data.shapes import SHAPE_CLASSES, generate_shapes
from detseg.engine.checkpointing import load_checkpoint, save_checkpoint
from detseg.engine.training.model_setup import _check_resume_classes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint


@pytest.fixture(scope="module")
def padded(tmp_path_factory) -> Path:
    """A random-weight shapes detector whose stored ``classes`` are padded with spaces."""
    root = tmp_path_factory.mktemp("padded")
    generate_shapes(root / "shapes", num_train=1, num_val=2, size=64, seed=0)
    path = write_checkpoint(
        root / "best.pt", "configs/demo.yaml", [*DETECTOR, f"data.root={root / 'shapes'}"]
    )
    state = load_checkpoint(path)
    state["classes"] = [f" {name} " for name in state["classes"]]
    save_checkpoint(path, state)
    return path


def test_the_stored_names_are_read_stripped(padded):
    assert load_checkpoint(padded)["classes"] == list(SHAPE_CLASSES)


def test_it_evaluates_on_its_own_data(padded, tmp_path):
    summary = evaluate_checkpoint(padded, tmp_path / "eval", overrides=["eval.max_images=2"])
    assert "on 2 images" in summary.heading


def test_it_resumes_on_its_own_data(padded):
    _check_resume_classes(load_checkpoint(padded), padded, list(SHAPE_CLASSES))
