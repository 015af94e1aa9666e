"""The line of an export check on noise for a checkpoint whose relative ``data.root`` is not
at hand: it names the folder the checkpoint was trained from only where the checkpoint
records one (``launch_folder``, carried in the export's ``data``), and the reader never sees
that entry."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import torch
from stub_export_results import stub_export_result

from detseg.engine.checkpointing.checkpoint import load_checkpoint
from detseg.export import export_model
from detseg.export.check_images import NOISE, check_images
from detseg.export.export_source import load_source

from .conftest import TINY_MODELS, one_step_checkpoint

GONE = {"format": "coco", "root": "datasets/gone"}


def test_the_line_names_the_launch_folder_recorded(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    launch = str(tmp_path / "project")
    result = dataclasses.replace(stub_export_result(), data={**GONE, "launch_folder": launch})
    chosen = check_images(result)
    assert chosen.name == NOISE
    assert chosen.source.endswith(
        "its data.root 'datasets/gone' is not a folder here (a relative root is read from the "
        f"working folder, {tmp_path}, else from the folder the checkpoint was trained from, "
        f"{launch}))"
    )


def test_the_line_names_the_working_folder_alone_without_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    chosen = check_images(dataclasses.replace(stub_export_result(), data=dict(GONE)))
    assert chosen.source.endswith(
        "its data.root 'datasets/gone' is not a folder here (a relative root is read from the "
        f"working folder, {tmp_path}))"
    )


def test_the_export_carries_the_launch_folder_of_the_checkpoint(tmp_path, monkeypatch):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    monkeypatch.chdir(project)  # training's working folder
    checkpoint = one_step_checkpoint(
        project / "best.pt", TINY_MODELS["faster_rcnn"], data_root=Path("datasets/gone")
    )
    state = load_checkpoint(checkpoint)
    del state["launch_folder"]
    torch.save(state, project / "old.pt")  # as written before it was recorded
    monkeypatch.chdir(elsewhere)
    data = load_source(checkpoint, None, None)[4]
    assert data is not None and data["launch_folder"] == str(project)
    old = load_source(project / "old.pt", None, None)[4]
    assert old is not None and "launch_folder" not in old
    result = export_model(checkpoint, tmp_path / "m.pt", format="torchscript", input_size=(96, 96))
    assert f"else from the folder the checkpoint was trained from, {project})" in (
        check_images(result).source
    )
    result = export_model(project / "old.pt", tmp_path / "o.pt", format="torchscript")
    assert "trained from" not in check_images(result).source
