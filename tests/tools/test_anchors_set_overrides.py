"""``tools/anchors.py --set``: a config's or data file's keys are overridden as in
``tools/check_data.py`` (the dataset-folder error of a config names ``--set data.root=PATH``).

A COCO json has no keys to override: ``--set`` with one is refused in one line.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import yaml
from tool_modules import load_tool

from detseg.data.shapes import generate_shapes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    """3 train and 1 val shapes images of 64 px (COCO layout), seed 0."""
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=3, num_val=1, num_test=0, size=64, seed=0)
    return root


def _run(monkeypatch, *argv: str | Path) -> int:
    monkeypatch.setattr(sys, "argv", ["anchors.py", *map(str, argv)])
    return load_tool("anchors.py").main()


def _yolo_config(tmp_path: Path) -> Path:
    """A YOLOv3 config whose data.root is a folder that does not exist."""
    config = tmp_path / "yolo.yaml"
    recipe = {
        "_base_": str(REPO / "configs" / "_base_" / "shapes_cpu.yaml"),
        "model": {"name": "yolo", "backbone": "resnet18", "input_size": 416},
        "data": {"root": str(tmp_path / "elsewhere")},
    }
    config.write_text(yaml.safe_dump(recipe))
    return config


def test_set_gives_a_config_its_data_root_and_input_size(tmp_path, shapes, monkeypatch, capsys):
    config = _yolo_config(tmp_path)
    overrides = [f"data.root={shapes}", "model.input_size=64"]
    assert _run(monkeypatch, config, "--k", "3", "--per-level", "1", "--set", *overrides) == 0
    assert ", input 64x64 px, k=3;" in capsys.readouterr().out.splitlines()[0]


def test_set_given_twice_keeps_every_item(tmp_path, shapes, monkeypatch, capsys):
    config = _yolo_config(tmp_path)
    argv = ["--k", "3", "--per-level", "1", "--set", f"data.root={shapes}"]
    assert _run(monkeypatch, config, *argv, "--set", "model.input_size=128") == 0
    assert ", input 128x128 px, k=3;" in capsys.readouterr().out.splitlines()[0]


def test_set_overrides_a_data_file(tmp_path, shapes, monkeypatch, capsys):
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"data:\n  format: coco\n  root: {tmp_path / 'elsewhere'}\n")
    argv = ["--k", "3", "--input-size", "64", "--set", f"data.root={shapes}"]
    assert _run(monkeypatch, data_file, *argv) == 0
    assert capsys.readouterr().out.startswith("# ")


def test_set_with_a_coco_json_is_refused(shapes, monkeypatch):
    ann = shapes / "annotations" / "instances_train.json"
    with pytest.raises(ValueError, match=r"is a COCO json, which has no config keys") as info:
        _run(monkeypatch, ann, "--k", "3", "--set", "data.root=x")
    assert "\n" not in str(info.value)
