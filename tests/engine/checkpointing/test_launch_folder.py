"""The launch folder of a checkpoint: recorded by ``save_checkpoint``, and the rule that reads
a relative path of its config from it (:mod:`detseg.engine.checkpointing.launch_folder`)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch

from detseg.config import load_config
from detseg.engine.checkpointing.checkpoint import load_checkpoint, save_checkpoint
from detseg.engine.checkpointing.launch_folder import checkpoint_config, from_launch_folder

REPO = Path(__file__).resolve().parents[3]


@pytest.fixture
def folders(tmp_path, monkeypatch) -> tuple[Path, Path]:
    """``(launch, here)``: a launch folder holding ``datasets/shapes/`` and
    ``weights/backbone.pth``, and the empty working folder ``here``."""
    launch, here = tmp_path / "launch", tmp_path / "here"
    (launch / "datasets" / "shapes").mkdir(parents=True)
    (launch / "weights").mkdir()
    (launch / "weights" / "backbone.pth").write_bytes(b"")
    here.mkdir()
    monkeypatch.chdir(here)
    return launch, here


def _state(launch: Path | None, root: str = "datasets/shapes", **model) -> dict:
    config = load_config(REPO / "configs" / "demo.yaml").to_dict()
    config["data"]["root"] = root
    config["model"].update(model)
    state = {"model": {}, "config": config, "classes": ["circle"], "meta": {}}
    return state if launch is None else {**state, "launch_folder": str(launch)}


def test_the_rule(folders):
    launch, here = folders
    assert from_launch_folder("datasets/shapes", str(launch)) == str(launch / "datasets/shapes")
    assert from_launch_folder("datasets/shapes", None) == "datasets/shapes"  # an old checkpoint
    assert (
        from_launch_folder("datasets/gone", str(launch)) == "datasets/gone"
    )  # nowhere: as written
    assert from_launch_folder(str(here / "x"), str(launch)) == str(here / "x")  # absolute
    assert from_launch_folder("", str(launch)) == ""
    (here / "datasets" / "shapes").mkdir(parents=True)
    assert from_launch_folder("datasets/shapes", str(launch)) == "datasets/shapes"  # here wins


def test_save_checkpoint_records_the_working_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    state = _state(None)
    save_checkpoint(tmp_path / "best.pt", state)
    assert "launch_folder" not in state  # the caller's dict is left as it is
    assert load_checkpoint(tmp_path / "best.pt")["launch_folder"] == str(tmp_path)


def test_a_state_without_a_config_records_none(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save_checkpoint(tmp_path / "weights.pt", {"model": {}})
    assert torch.load(tmp_path / "weights.pt", weights_only=True) == {"model": {}}


def test_the_config_reads_the_root_of_the_launch_folder(folders, caplog):
    launch, _ = folders
    caplog.set_level(logging.INFO)
    state = _state(launch)
    cfg = checkpoint_config(state, "best.pt")
    assert cfg.data.root == str(launch / "datasets" / "shapes")
    assert state["config"]["data"]["root"] == "datasets/shapes"  # the checkpoint's dict unchanged
    assert [r.getMessage() for r in caplog.records] == [
        f"data.root datasets/shapes read from the run's launch folder {launch} (the checkpoint "
        "was trained there)",
    ]


@pytest.mark.parametrize("weights", ["weights/backbone.pth", "imagenet"])
def test_backbone_weights_stay_as_written(folders, caplog, weights):
    """A model rebuilt from a checkpoint reads no backbone weights file, so the setting is
    not looked up in the launch folder, which holds it here."""
    launch, _ = folders
    (launch / "imagenet").write_bytes(b"")
    caplog.set_level(logging.INFO)
    cfg = checkpoint_config(_state(launch, backbone_weights=weights), "best.pt")
    assert cfg.model.kwargs["backbone_weights"] == weights
    assert not [r for r in caplog.records if "model.backbone_weights" in r.getMessage()]


def test_overrides_and_old_checkpoints_are_read_as_given(folders, caplog):
    launch, _ = folders
    caplog.set_level(logging.INFO)
    cfg = checkpoint_config(_state(launch), "best.pt", overrides=["data.root=datasets/shapes"])
    assert cfg.data.root == "datasets/shapes"
    cfg = checkpoint_config(_state(launch), "best.pt", overrides={"data.root": "elsewhere"})
    assert cfg.data.root == "elsewhere"
    assert checkpoint_config(_state(None), "best.pt").data.root == "datasets/shapes"
    not_absolute = {**_state(None), "launch_folder": "../launch"}  # no entry training writes
    assert checkpoint_config(not_absolute, "best.pt").data.root == "datasets/shapes"
    assert caplog.records == []
