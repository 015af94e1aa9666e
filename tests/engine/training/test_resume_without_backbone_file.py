"""A run started from a backbone weights file resumes, and packs its model with
``model_checkpoint``, after that file is gone: ``last.pt`` holds every tensor, so the backbone
is built as for its weights (frozen BatchNorm) but the file is not read."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torchvision
from tiny_detector import EVAL_HEADS, ONE_STEP_ON_CPU, tiny_faster_rcnn

from detseg.backbones.weights import weight_files_not_read
from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.checkpointing.model_files import model_checkpoint
from detseg.engine.training import train
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[3]


def test_a_run_resumes_after_its_backbone_file_is_gone(tmp_path):
    shapes = tmp_path / "shapes"
    generate_shapes(shapes, num_train=4, num_val=2, size=64, seed=0, progress=False)
    weights = tmp_path / "r18.pth"
    torch.save(torchvision.models.resnet18().state_dict(), weights)
    overrides = [
        *tiny_faster_rcnn(),
        *EVAL_HEADS,
        *ONE_STEP_ON_CPU,
        f"model.backbone_weights={weights}",
        f"data.root={shapes}",
        "train.epochs=2",
    ]
    work = tmp_path / "run"
    train(load_config(REPO / "configs" / "demo.yaml", overrides), work)
    weights.unlink()
    cfg = load_config(work / "config.yaml", ["train.max_iters=2"])
    result = train(cfg, work, resume=True)
    assert result.exit_code == 0 and result.totals["iterations"] == 1  # the second step
    assert "backbone_weights" in load_checkpoint(work / "last.pt")["config"]["model"]


def test_model_checkpoint_reads_no_backbone_file(tmp_path):
    section = {"name": "fcn", "backbone": "resnet18", "output_stride": 32}
    gone = {**section, "backbone_weights": str(tmp_path / "gone.pth")}
    with weight_files_not_read():  # the model as trained from that file (frozen BatchNorm)
        model = build_model(gone, 2)
    config = {"model": gone, "data": {"format": "coco", "root": str(tmp_path)}}
    state = model_checkpoint(model, config, ["a", "b"])
    assert state["config"]["model"]["backbone_weights"] == str(tmp_path / "gone.pth")
    with pytest.raises(FileNotFoundError):  # outside it, building reads the file
        build_model(gone, 2)
