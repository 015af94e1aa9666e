"""Telling an experiment config from a data file, and the data section each gives."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, load_config
from detseg.dataset_check import default_out_dir, is_experiment_config, load_data_section

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"


def test_config_data_section_with_overrides(tmp_path: Path):
    assert is_experiment_config(DEMO)
    data, kind = load_data_section(DEMO, [f"data.root={tmp_path}"])
    assert kind == "config"
    assert data["format"] == "coco" and data["root"] == str(tmp_path)
    assert "augmentations" not in data and data["train_ann"] == "annotations/instances_train.json"


def test_data_file_with_overrides(tmp_path: Path):
    path = tmp_path / "data.yaml"
    path.write_text("data:\n  format: coco\n  root: somewhere\n")
    assert not is_experiment_config(path)
    data, kind = load_data_section(path, ["data.root=/data/x", "data.val_images=v/img"])
    assert kind == "data file"
    assert data == {"format": "coco", "root": "/data/x", "val_images": "v/img"}
    switched, _ = load_data_section(path, ["data.root=/data/y", "data.format=yolo"])
    assert switched == {"format": "yolo", "root": "/data/y"}  # a new format starts afresh


def test_data_file_overrides_are_read_as_load_config_reads_them(tmp_path: Path):
    """A folder named 2024 stays a name (not the int 2024), as in a training run's --set."""
    path = tmp_path / "data.yaml"
    path.write_text("data:\n  format: coco\n  root: somewhere\n")
    data, _ = load_data_section(path, ["data.root=2024"])
    assert data["root"] == "2024"
    assert load_config(DEMO, ["data.root=2024"]).data.root == "2024"


def test_ultralytics_data_yaml(tmp_path: Path):
    path = tmp_path / "coco8.yaml"
    path.write_text("path: ds\ntrain: images/train\nval: images/val\nnames: {0: cat, 1: dog}\n")
    data, kind = load_data_section(path)
    assert kind == "data file"
    assert data["format"] == "yolo" and data["classes"] == ["cat", "dog"]
    assert Path(data["root"]) == tmp_path / "ds"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("train.lr=0.1", "only data.KEY=VALUE"),
        ("data.root", "only data.KEY=VALUE"),
        ("data.train_anns=x", "train_ann"),
    ],
)
def test_bad_data_file_overrides(tmp_path: Path, override: str, message: str):
    path = tmp_path / "data.yaml"
    path.write_text("format: coco\nroot: r\n")
    with pytest.raises(ConfigError, match=message):
        load_data_section(path, [override])


@pytest.mark.parametrize(
    ("override", "python", "tool"),
    [
        (
            "train.lr=0.1",
            "overrides=['train.lr=0.1']: a data file",
            "--set train.lr=0.1: a data file",
        ),
        (
            "data.train_anns=x",
            "overrides=['data.train_anns=x'] (data.format=coco): unknown key",
            "--set data.train_anns=x (data.format=coco): ",
        ),
        (
            "data.keep_difficult=true",
            "overrides=['data.keep_difficult=true']: data.keep_difficult is a key",
            "--set data.keep_difficult=true: data.keep_",
        ),
        (
            "data.classes=[a",
            "overrides=['data.classes=[a']: the value",
            "--set 'data.classes=[a': the",
        ),
    ],
    ids=["not_data", "unknown_key", "other_format", "not_yaml"],
)
def test_data_file_overrides_are_named_as_the_caller_gives_them(tmp_path, override, python, tool):
    """``overrides=[...]`` of ``load_data_section`` from Python, ``--set`` from a tool (as
    ``run_command`` names them: ``TOOL_FLAGS``)."""
    path = tmp_path / "data.yaml"
    path.write_text("format: coco\nroot: r\n")
    with pytest.raises(ConfigError) as caught:
        load_data_section(path, [override])
    assert str(caught.value).startswith(python)
    assert caught.value.naming(TOOL_FLAGS).startswith(tool)


def test_missing_file_is_a_config_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_data_section(tmp_path / "nope.yaml")


def test_default_out_dir_is_named_after_the_root():
    assert default_out_dir({"root": "datasets/shapes/"}) == Path("runs/check_data/shapes")
    assert default_out_dir({"root": "/data/VOCdevkit/VOC2007"}, "out") == Path("out/VOC2007")


def test_a_mask_model_config_checks_its_instance_masks(tmp_path: Path):
    """Training turns data.load_masks on for a mask model, so the check reads the masks too."""
    config = REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml"
    sets = [f"data.root={tmp_path}", "data.load_masks=false"]
    data, _ = load_data_section(config, sets)
    assert data["load_masks"] is True
    box_model, _ = load_data_section(DEMO, [f"data.root={tmp_path}", "data.load_masks=false"])
    assert box_model["load_masks"] is False
