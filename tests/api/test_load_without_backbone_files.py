"""``detseg.load``, ``load_model`` and ``model_from_checkpoint`` read no backbone weights file:
a checkpoint holds every tensor, so one trained with a relative ``model.backbone_weights``
file loads from any folder once the file is gone, and one trained from ``imagenet`` loads
where torchvision's ImageNet file is not. The backbone is still built as for its weights
(frozen BatchNorm), so the stored tensors load strictly, and the setting is kept as written."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
import torchvision
from tiny_detector import tiny_faster_rcnn
from torchvision.ops import FrozenBatchNorm2d

import detseg
from detseg.backbones.weights import weight_files_not_read
from detseg.config import builder_section, load_config
from detseg.engine.checkpointing import (
    load_checkpoint,
    load_model,
    model_from_checkpoint,
    save_checkpoint,
)
from detseg.engine.checkpointing.model_files import model_checkpoint
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[2]
CLASSES = ["circle", "square", "triangle"]
WEIGHTS = "weights/r18.pth"


def _write_checkpoint(path: Path, backbone_weights: str) -> None:
    """Write the checkpoint of a tiny ResNet-18 Faster R-CNN whose config says
    ``model.backbone_weights=<backbone_weights>``, from the working folder."""
    overrides = [*tiny_faster_rcnn(), f"model.backbone_weights={backbone_weights}", "device=cpu"]
    cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
    model = build_model(builder_section(cfg.model.to_dict()), len(CLASSES))
    save_checkpoint(path, model_checkpoint(model, cfg, CLASSES))


def _same_weights(model: torch.nn.Module, checkpoint: Path) -> bool:
    """Whether ``model`` holds exactly the tensors stored in ``checkpoint``."""
    stored = load_checkpoint(checkpoint)["model"]
    loaded = model.state_dict()
    return loaded.keys() == stored.keys() and all(
        torch.equal(loaded[name], tensor) for name, tensor in stored.items()
    )


def _frozen_norms(model: torch.nn.Module) -> bool:
    """Whether the model's backbone has BatchNorm layers, all of them frozen."""
    layers = list(model.backbone.modules())
    trained = [m for m in layers if isinstance(m, torch.nn.BatchNorm2d)]
    return not trained and any(isinstance(m, FrozenBatchNorm2d) for m in layers)


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder with ``runs/best.pt``, trained from the project folder with
    ``model.backbone_weights=weights/r18.pth``; the weights file is deleted afterwards."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "weights").mkdir()
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), folder / WEIGHTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        _write_checkpoint(Path("runs/best.pt"), WEIGHTS)
    (folder / WEIGHTS).unlink()
    return folder


@pytest.mark.parametrize("where", ["project", "runs", "elsewhere"])
def test_a_deleted_weights_file_is_not_needed(project, tmp_path, monkeypatch, caplog, where):
    folder = {"project": project, "runs": project / "runs", "elsewhere": tmp_path}[where]
    monkeypatch.chdir(folder)
    caplog.set_level(logging.INFO)
    checkpoint = project / "runs" / "best.pt"
    predictor = detseg.load(checkpoint, device="cpu")
    assert _same_weights(predictor.model, checkpoint) and _frozen_norms(predictor.model)
    assert predictor.config.model.kwargs["backbone_weights"] == WEIGHTS  # kept as written
    model, config, classes = load_model(checkpoint, "cpu")
    assert _same_weights(model, checkpoint) and classes == CLASSES
    assert config["model"]["backbone_weights"] == WEIGHTS
    assert not [r for r in caplog.records if "model.backbone_weights" in r.getMessage()]


def test_model_from_checkpoint_with_or_without_a_model_section(project, monkeypatch):
    monkeypatch.chdir(project / "runs")
    state = load_checkpoint("best.pt")
    model, _, _ = model_from_checkpoint(state, "cpu")
    assert _same_weights(model, project / "runs" / "best.pt")
    given = dict(state["config"]["model"])  # a model section given: its file is not read either
    model, _, _ = model_from_checkpoint(state, "cpu", given)
    assert _same_weights(model, project / "runs" / "best.pt") and _frozen_norms(model)
    del state["launch_folder"]  # a checkpoint that records no launch folder
    model, _, _ = model_from_checkpoint(state, "cpu")
    assert _same_weights(model, project / "runs" / "best.pt")


def test_an_imagenet_checkpoint_loads_without_the_imagenet_file(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch_home"))  # no hub checkpoints
    monkeypatch.chdir(tmp_path)
    with pytest.raises(FileNotFoundError, match="resnet18"):  # training would need the file
        _write_checkpoint(tmp_path / "unused.pt", "imagenet")
    with weight_files_not_read():  # as trained from ImageNet weights, without reading them
        _write_checkpoint(tmp_path / "best.pt", "imagenet")
    predictor = detseg.load(tmp_path / "best.pt", device="cpu")
    assert _frozen_norms(predictor.model) and _same_weights(predictor.model, tmp_path / "best.pt")
    assert predictor.config.model.kwargs["backbone_weights"] == "imagenet"
    model, _, _ = load_model(tmp_path / "best.pt", "cpu")
    assert _frozen_norms(model) and _same_weights(model, tmp_path / "best.pt")
    with pytest.raises(FileNotFoundError, match="resnet18"):  # files are read again after it
        _write_checkpoint(tmp_path / "unused.pt", "imagenet")
