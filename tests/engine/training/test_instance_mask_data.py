"""A mask model trains on instance masks: COCO data gets ``data.load_masks`` turned on, VOC and
YOLO data (no masks) are a ConfigError naming the model and the format."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.training.train_data import build_data, require_instance_masks

REPO = Path(__file__).resolve().parents[3]
MASK_CONFIG = REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml"


def test_a_mask_model_on_coco_data_loads_masks(caplog):
    cfg = load_config(MASK_CONFIG, ["data.load_masks=false"])
    with caplog.at_level(logging.INFO):
        assert require_instance_masks(cfg) is True
    assert cfg.data.options["load_masks"] is True and cfg.to_dict()["data"]["load_masks"] is True
    assert "model mask_rcnn trains on instance masks: data.load_masks set to true" in caplog.text


def test_a_box_model_is_left_alone():
    cfg = load_config(REPO / "configs/demo.yaml")
    assert require_instance_masks(cfg) is False
    assert "load_masks" not in cfg.data.options


@pytest.mark.parametrize("fmt", ["voc", "yolo"])
def test_a_mask_model_on_data_without_masks_is_a_config_error(fmt):
    cfg = load_config(MASK_CONFIG, [f"data.format={fmt}", "data.root=somewhere"])
    message = "model mask_rcnn needs instance masks: data.format coco with data.load_masks: true"
    with pytest.raises(ConfigError, match=message) as error:
        require_instance_masks(cfg)
    assert f"data.format {fmt} has no masks" in str(error.value)


def test_build_data_gives_masks_and_checks_the_val_segmentations(tmp_path):
    generate_shapes(tmp_path, num_train=2, num_val=2, size=64, seed=0)
    sets = [f"data.root={tmp_path}", "data.load_masks=false", "train.num_workers=0"]
    data = build_data(load_config(MASK_CONFIG, sets), "detection")
    _, target = data.train_set[0]
    assert data.train_set.load_masks and target["masks"].shape[1:] == (64, 64)
    assert all("segmentation" in ann for ann in data.val_gt.gt["annotations"])
    # a val json with one annotation short of a segmentation cannot give mask AP: said before
    # training starts (one without any is scored on its boxes: test_mask_rcnn_box_only_val.py)
    ann_file = tmp_path / "annotations/instances_val.json"
    gt = json.loads(ann_file.read_text())
    del gt["annotations"][-1]["segmentation"]
    ann_file.write_text(json.dumps(gt))
    message = rf"instances_val\.json: annotation {gt['annotations'][-1]['id']} .* has no 'seg"
    with pytest.raises(ValueError, match=message):
        build_data(load_config(MASK_CONFIG, sets), "detection")


def test_build_data_names_the_val_file_and_the_image_without_a_size(tmp_path):
    generate_shapes(tmp_path, num_train=1, num_val=2, size=32, seed=0)
    ann_file = tmp_path / "annotations/instances_val.json"
    gt = json.loads(ann_file.read_text())
    del gt["images"][1]["height"]
    ann_file.write_text(json.dumps(gt))
    sets = [f"data.root={tmp_path}", "train.num_workers=0"]
    with pytest.raises(ValueError) as error:
        build_data(load_config(MASK_CONFIG, sets), "detection")
    message = str(error.value)
    assert message.startswith(f"{ann_file}: image {gt['images'][1]['id']} has no 'height'")
    assert "\n" not in message
