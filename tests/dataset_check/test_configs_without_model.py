"""check_data on configs without a model: a base fragment (``configs/_base_/voc_0712.yaml``)
and a config composing only ``_base_`` fragments give their data section."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.config import ConfigError
from detseg.dataset_check import is_experiment_config, load_data_section
from detseg.dataset_check.box_sizes import config_input_size, training_box_sizes

REPO = Path(__file__).resolve().parents[2]


def test_base_fragment_with_train_section_gives_its_data():
    fragment = REPO / "configs/_base_/voc_0712.yaml"
    assert is_experiment_config(fragment)
    data, kind = load_data_section(fragment, ["data.root=/data/voc"])
    assert kind == "config"
    assert data == {"format": "voc", "root": "/data/voc"}


def test_config_composing_fragments_gives_their_data(tmp_path: Path):
    config = tmp_path / "mine.yaml"
    config.write_text(
        f"_base_: [{REPO}/configs/_base_/shapes_cpu.yaml, {REPO}/configs/datasets/yolo.yaml]\n"
        "data: {classes: [cat]}\n"
    )
    data, kind = load_data_section(config, ["data.root=/data/mine", "data.val_images=images/v"])
    assert kind == "config"
    assert data == {
        "format": "yolo",
        "root": "/data/mine",
        "train_images": "images/train",
        "val_images": "images/v",
        "classes": ["cat"],
    }


def test_data_fragment_alone_as_a_base(tmp_path: Path):
    config = tmp_path / "mine.yaml"
    config.write_text(f"_base_: {REPO}/configs/datasets/voc.yaml\ndata: {{root: /data/voc}}\n")
    data, _ = load_data_section(config, ["data.format=coco"])
    assert data == {"format": "coco", "root": ""}  # as --set data.format=coco on a data file


def test_config_without_model_or_data_is_one_clear_error(tmp_path: Path):
    config = tmp_path / "mine.yaml"
    config.write_text("_base_: []\ntrain: {epochs: 1}\n")
    with pytest.raises(ConfigError, match=r"mine.yaml: no 'data:' section"):
        load_data_section(config)


def test_unknown_key_of_a_config_without_model_is_an_error(tmp_path: Path):
    config = tmp_path / "mine.yaml"
    config.write_text(f"_base_: {REPO}/configs/datasets/voc.yaml\ndatta: {{root: x}}\n")
    with pytest.raises(ConfigError, match="datta"):
        load_data_section(config)


def test_anchor_boxes_of_a_config_without_model(tmp_path: Path):
    """tools/anchors.py reads the same sources: a model-less config gives its data's boxes."""
    root = tmp_path / "yolo"
    for split in ("train", "val"):
        (root / "images" / split).mkdir(parents=True)
        (root / "labels" / split).mkdir(parents=True)
        cv2.imwrite(str(root / "images" / split / "a.png"), np.zeros((20, 40, 3), np.uint8))
        (root / "labels" / split / "a.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    config = tmp_path / "mine.yaml"
    config.write_text(
        f"_base_: {REPO}/configs/datasets/yolo.yaml\ndata: {{root: {root}, classes: [cat]}}\n"
    )
    assert config_input_size(config) is None
    assert training_box_sizes(config, 40).tolist() == [[20.0, 20.0]]  # 20x10 px of 40x20
