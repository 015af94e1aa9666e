"""``model.init_from`` weights of another architecture (a ResNet-50 Faster R-CNN's for a
MobileNet one) fit a few head layers of equal shapes and leave the rest at its fresh
initialisation: the report and the training log warn, naming the source and the counts."""

from __future__ import annotations

import logging
from pathlib import Path

import torch
from tiny_detector import tiny_faster_rcnn
from torch import nn

from detseg.config import load_config
from detseg.convert.init_weights import load_init_weights
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.model_setup import DeviceSettings, build_run_model

REPO = Path(__file__).resolve().parents[2]


def _model(width: int) -> nn.Sequential:
    """A stand-in detector: a body of ``width`` channels and a class layer of 6 outputs."""
    return nn.Sequential(nn.Conv2d(3, width, 3), nn.Conv2d(width, width, 1), nn.Conv2d(width, 6, 1))


def _saved(tmp_path: Path, model: nn.Module) -> str:
    path = tmp_path / "weights.pth"
    torch.save(model.state_dict(), path)
    return str(path)


def test_weights_that_fit_under_half_of_the_model_warn(tmp_path):
    source = _saved(tmp_path, _model(16))
    report = load_init_weights(_model(4), source)  # only the class layer's bias fits
    assert report.loaded == ["2.bias"]
    warning = report.fit_warning()
    assert warning is not None
    assert warning.startswith(f"model.init_from {source} (detseg state dict) fits only 1 of ")
    assert "model's 6 tensors; the other 5 keep their fresh initialisation" in warning
    assert report.warnings() == [warning]


def test_weights_of_the_same_architecture_do_not_warn(tmp_path):
    source = _saved(tmp_path, _model(4))
    report = load_init_weights(_model(4), source)
    assert report.fit_warning() is None and report.warnings() == []


def test_training_logs_the_warning(tmp_path, caplog):
    cfg = load_config(REPO / "configs" / "demo.yaml", [*tiny_faster_rcnn(), "device=cpu"])
    settings = (torch.device("cpu"), DistInfo())
    model = build_run_model(cfg, 5, "detection", *settings, settings=DeviceSettings())
    heads = {k: v for k, v in model.state_dict().items() if k.startswith("roi_heads.")}
    torch.save(heads, tmp_path / "heads.pth")  # the box head alone: a few of the model's tensors
    cfg.model.init_from = str(tmp_path / "heads.pth")
    with caplog.at_level(logging.WARNING, logger="detseg.engine.training.model_setup"):
        build_run_model(cfg, 5, "detection", *settings, settings=DeviceSettings())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].startswith(f"model.init_from {tmp_path / 'heads.pth'} (detseg state dict)")
    assert f"fits only {len(heads)} of the model's " in warnings[0]
