"""The export check reads the val split of a checkpoint whose relative ``data.root`` lies in
the folder the checkpoint was written from, whatever the working folder of the export."""

from __future__ import annotations

import logging
from pathlib import Path

from detseg.data.shapes import generate_shapes
from detseg.export import export_model
from detseg.export.check_images import check_images
from detseg.export.export_source import load_source

from .conftest import TINY_MODELS, one_step_checkpoint


def test_the_check_finds_the_data_of_the_launch_folder(tmp_path, monkeypatch, caplog):
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    generate_shapes(project / "datasets" / "shapes", num_train=1, num_val=4, size=64, seed=0)
    elsewhere.mkdir()
    monkeypatch.chdir(project)  # training's working folder
    checkpoint = one_step_checkpoint(
        project / "runs" / "demo" / "best.pt",
        TINY_MODELS["faster_rcnn"],
        data_root=Path("datasets/shapes"),
    )
    monkeypatch.chdir(elsewhere)
    caplog.set_level(logging.INFO)
    data = load_source(checkpoint, None, None)[4]
    assert data is not None and data["root"] == str(project / "datasets" / "shapes")
    assert f"data.root datasets/shapes read from the run's launch folder {project}" in caplog.text
    result = export_model(checkpoint, tmp_path / "m.pt", format="torchscript", input_size=(96, 96))
    chosen = check_images(result)
    assert chosen.name == "val-split images"
    assert str(project / "datasets" / "shapes" / "val" / "images") in chosen.source
