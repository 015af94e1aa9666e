"""``evaluate_checkpoint`` of a checkpoint whose relative ``data.root`` neither the working
folder nor the folder training was started from holds: one warning names both folders before
the reader's error, which names the working folder only; a checkpoint that records no launch
folder gets the reader's error alone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from tiny_detector import tiny_faster_rcnn

from detseg.config import builder_section, load_config
from detseg.engine.checkpointing import load_checkpoint, save_checkpoint
from detseg.engine.checkpointing.model_files import model_checkpoint
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """A project folder without its dataset and ``runs/best.pt`` written from it with
    ``data.root=datasets/shapes``; the working folder is ``runs``."""
    monkeypatch.chdir(tmp_path)
    overrides = [*tiny_faster_rcnn(), "data.root=datasets/shapes", "device=cpu"]
    cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
    model = build_model(builder_section(cfg.model.to_dict()), 3)
    save_checkpoint(Path("runs/best.pt"), model_checkpoint(model, cfg, ["a", "b", "c"]))
    monkeypatch.chdir(tmp_path / "runs")
    return tmp_path


def test_the_launch_folder_tried_is_named(project, caplog):
    with pytest.raises(FileNotFoundError, match="data.root 'datasets/shapes' is not a folder"):
        evaluate_checkpoint("best.pt", out=project / "eval")
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"data.root datasets/shapes is neither in the working folder ({project / 'runs'}) nor "
        f"in the run's launch folder ({project}): set data.root to the dataset folder "
        "(detseg-eval --set data.root=PATH)"
    ]


def test_a_checkpoint_without_a_launch_folder_gets_the_error_alone(project, caplog):
    state = load_checkpoint("best.pt")
    del state["launch_folder"]
    torch.save(state, "old.pt")
    with pytest.raises(FileNotFoundError, match="data.root 'datasets/shapes' is not a folder"):
        evaluate_checkpoint("old.pt", out=project / "eval")
    assert [r for r in caplog.records if r.levelno == logging.WARNING] == []
