"""``detseg.load``, ``load_model`` and ``model_from_checkpoint`` read a relative
``model.backbone_weights`` file of a checkpoint from the folder training was started from
(its ``launch_folder``) where the working folder lacks it, as ``detseg-eval`` does; the
setting is kept (the backbone's norm and frozen layers follow it), and a checkpoint that
records no launch folder reads the working folder only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
import torchvision
from tiny_detector import tiny_faster_rcnn

import detseg
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
LAUNCH_LINE = f"model.backbone_weights {WEIGHTS} read from the run's launch folder"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder with ``weights/r18.pth`` and ``runs/best.pt``, written from the
    project folder with ``model.backbone_weights=weights/r18.pth``."""
    folder = tmp_path_factory.mktemp("project")
    (folder / "weights").mkdir()
    torch.manual_seed(0)
    torch.save(torchvision.models.resnet18().state_dict(), folder / WEIGHTS)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        overrides = [*tiny_faster_rcnn(), f"model.backbone_weights={WEIGHTS}", "device=cpu"]
        cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
        model = build_model(builder_section(cfg.model.to_dict()), len(CLASSES))
        save_checkpoint(Path("runs/best.pt"), model_checkpoint(model, cfg, CLASSES))
    return folder


def test_load_reads_the_weights_file_of_the_launch_folder(project, monkeypatch, caplog):
    monkeypatch.chdir(project / "runs")
    caplog.set_level(logging.INFO)
    predictor = detseg.load("best.pt", device="cpu")
    assert predictor.config.model.kwargs["backbone_weights"] == str(project / WEIGHTS)
    assert load_checkpoint("best.pt")["config"]["model"]["backbone_weights"] == WEIGHTS
    assert f"{LAUNCH_LINE} {project}" in caplog.text
    stored = load_checkpoint(project / "runs" / "best.pt")["model"]
    loaded = predictor.model.state_dict()
    assert all(torch.equal(loaded[name], tensor) for name, tensor in stored.items())


def test_load_model_reads_it_too(project, monkeypatch, caplog):
    monkeypatch.chdir(project / "runs")
    caplog.set_level(logging.INFO)
    model, config, classes = load_model("best.pt", "cpu")
    assert classes == CLASSES and config["model"]["backbone_weights"] == WEIGHTS
    assert [r.getMessage() for r in caplog.records if LAUNCH_LINE in r.getMessage()] == [
        f"{LAUNCH_LINE} {project} (the checkpoint was trained there)"
    ]
    state = load_checkpoint("best.pt")
    model_from_checkpoint(state, "cpu")
    assert state["config"]["model"]["backbone_weights"] == WEIGHTS  # the dict is left as it is


def test_the_working_folder_and_a_given_section_come_first(project, monkeypatch, caplog):
    monkeypatch.chdir(project)  # the launch folder itself: nothing to read from elsewhere
    caplog.set_level(logging.INFO)
    assert detseg.load("runs/best.pt", device="cpu").config.model.kwargs["backbone_weights"] == (
        WEIGHTS
    )
    assert LAUNCH_LINE not in caplog.text
    monkeypatch.chdir(project / "runs")
    state = load_checkpoint("best.pt")
    given = dict(state["config"]["model"])
    with pytest.raises(FileNotFoundError, match=f"weights file not found: {WEIGHTS}"):
        model_from_checkpoint(state, "cpu", given)  # a model section given is taken as given


def test_a_checkpoint_without_a_launch_folder_reads_the_working_folder(project, monkeypatch):
    state = load_checkpoint(project / "runs" / "best.pt")
    del state["launch_folder"]
    torch.save(state, project / "runs" / "old.pt")  # as written before it was recorded
    monkeypatch.chdir(project / "runs")
    with pytest.raises(FileNotFoundError, match=f"weights file not found: {WEIGHTS}"):
        detseg.load("old.pt", device="cpu")
    with pytest.raises(FileNotFoundError, match=f"weights file not found: {WEIGHTS}"):
        load_model("old.pt", "cpu")
