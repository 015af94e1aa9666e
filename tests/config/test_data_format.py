"""Switching data formats: in merged files and with --set data.format; keys of other formats."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from tool_wording import as_tool

from detseg.config import ConfigError, config_from_dict, load_config
from detseg.data.registry import DATA_DEFAULTS

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)
config_from_dict = as_tool(config_from_dict)

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "configs" / "demo.yaml"
MODEL = {"name": "faster_rcnn"}
FLIP = [{"name": "HorizontalFlip", "p": 0.5}]


def _write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def test_set_format_on_the_demo_gives_a_voc_section_with_voc_defaults():
    cfg = load_config(DEMO, ["data.format=voc", "data.root=/tmp/x"])
    assert cfg.data.format == "voc" and cfg.data.root == "/tmp/x"
    assert cfg.data.options == {}  # every coco key of shapes_cpu.yaml is gone
    kwargs = cfg.data.dataset_kwargs()
    assert kwargs == {"format": "voc", "root": "/tmp/x"}
    assert set(DATA_DEFAULTS["voc"]).isdisjoint(kwargs)  # the reader fills in voc's defaults
    assert cfg.data.augmentations == load_config(DEMO).data.augmentations  # kept


def test_format_overrides_come_first_whatever_their_place():
    cfg = load_config(DEMO, ["data.root=/x", "data.format=voc", "data.val_split=val"])
    assert (cfg.data.root, cfg.data.options) == ("/x", {"val_split": "val"})


def test_setting_the_same_format_keeps_the_section():
    cfg = load_config(DEMO, ["data.format=coco"])
    assert cfg.data == load_config(DEMO).data


def test_a_key_of_another_format_says_which_format_takes_it():
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, ["data.format=voc", "data.train_images=x"])
    message = str(info.value)
    given = "--set data.train_images=x"  # the override that brought the key, not the file
    assert message.startswith(f"{given}: data.train_images is a key of format coco/yolo, not voc: ")
    assert "remove it, or use data.format=coco" in message
    assert "valid keys of voc: format, root, augmentations, train_split, val_split" in message


def test_a_segmentation_key_on_a_segmentation_format_names_segmentation_formats():
    raw = {"model": MODEL, "data": {"format": "shapes_seg", "root": "r", "mask_suffix": ".png"}}
    with pytest.raises(ConfigError, match=r"data.mask_suffix is a key of format folder_seg, not "):
        config_from_dict(raw, source="x.yaml")


def test_a_typo_still_gets_the_closest_valid_key():
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, ["data.format=voc", "data.val_splt=val"])
    assert "unknown key 'data.val_splt'; did you mean 'data.val_split'" in str(info.value)
    assert "(data.format=voc)" in str(info.value)


def test_a_file_that_sets_another_format_replaces_its_bases_data(tmp_path):
    _write(
        tmp_path / "base.yaml",
        {"data": {"format": "coco", "root": "/c", "train_ann": "a.json", "augmentations": FLIP}},
    )
    exp = _write(
        tmp_path / "exp.yaml",
        {"_base_": "base.yaml", "model": MODEL, "data": {"format": "yolo", "classes": ["a"]}},
    )
    cfg = load_config(exp)
    assert (cfg.data.format, cfg.data.root) == ("yolo", "")
    assert cfg.data.options == {"classes": ["a"]} and cfg.data.augmentations == FLIP


def test_a_base_list_ending_in_another_format_switches(tmp_path):
    """The example of the docs: a model part and a dataset part."""
    coco_1x = str(REPO / "configs" / "_base_" / "coco_1x.yaml")
    _write(tmp_path / "models" / "x.yaml", {"_base_": coco_1x, "model": MODEL})
    exp = _write(
        tmp_path / "exp" / "a.yaml",
        {"_base_": ["../models/x.yaml", str(REPO / "configs" / "datasets" / "voc.yaml")]},
    )
    cfg = load_config(exp)
    assert cfg.data.format == "voc" and cfg.data.root == "datasets/VOCdevkit/VOC2007"
    assert cfg.data.options == {"train_split": "trainval", "val_split": "test"}
    assert cfg.data.augmentations == FLIP  # coco_1x's, format-independent
    assert cfg.train.base_batch_size == 16  # the model part's schedule


def test_format_switch_on_a_checkpoint_config():
    raw = load_config(DEMO).to_dict()
    cfg = config_from_dict(raw, "<checkpoint>", ["data.root=/v", "data.format=voc"])
    assert cfg.data.dataset_kwargs() == {"format": "voc", "root": "/v"}
    assert raw["data"]["format"] == "coco"  # the input is not modified


def test_unknown_format_is_reported():
    with pytest.raises(ConfigError, match=r"unknown data.format 'vco'; did you mean 'voc'"):
        load_config(DEMO, ["data.format=vco"])


@pytest.mark.parametrize(
    ("config", "sets"),
    [
        ("configs/faster_rcnn/faster_rcnn_vgg16_voc.yaml", ["data.format=coco"]),
        ("configs/segmentation/fcn_resnet50_voc.yaml", ["data.format=shapes_seg"]),
        ("configs/faster_rcnn/faster_rcnn_mobilenet_v3_fpn_shapes.yaml", ["data.format=yolo"]),
    ],
)
def test_shipped_configs_switch_format_with_one_override(config, sets):
    cfg = load_config(REPO / config, ["data.root=/r", *sets])
    assert cfg.data.dataset_kwargs() == {"format": sets[0].split("=")[1], "root": "/r"}
