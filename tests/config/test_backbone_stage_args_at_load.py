"""``model.output_stride``, ``model.trainable_layers`` and a U-Net's ``model.decoder_channels``
are checked against the backbone when the config loads, each error naming the key and the
``--set`` item that gave it, not when the model is built after the data has loaded."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.backbones import PLAIN_BACKBONES
from detseg.config import ConfigError, config_from_dict
from detseg.config.backbone_arg_rules import TRAINABLE_STAGES

# The errors as the tools' error lines write them: an override as its --set item.
config_from_dict = as_tool(config_from_dict)

REPO = Path(__file__).resolve().parents[2]


def _load(name: str, *sets: str, **model):
    return config_from_dict({"model": {"name": name, **model}}, "exp.yaml", overrides=sets)


def _error(name: str, *sets: str, **model) -> str:
    with pytest.raises(ConfigError) as err:
        _load(name, *sets, **model)
    assert "\n" not in str(err.value)
    return str(err.value)


STRIDES = "(ResNet-50/101 take 8, 16 or 32, MobileNetV3-Large 16 or 32, VGG16 16, the others 32)"


def test_an_output_stride_the_backbone_cannot_reach_names_the_key():
    message = _error("fcn", "model.output_stride=8", backbone="resnet18")
    assert message == (
        "--set model.output_stride=8: 'model.output_stride' = 8: backbone 'resnet18' reaches "
        f"only output stride 32 {STRIDES}; set model.output_stride to 32, or pick a "
        "model.backbone that takes 8"
    )
    # the builder's default stride, with a backbone that cannot reach it: the backbone's --set
    message = _error("deeplabv3plus", "model.backbone=resnet18")
    assert message.startswith(
        "--set model.backbone=resnet18: 'model.output_stride' = 16 (the model's default): "
    )
    message = _error("lraspp", "model.output_stride=8")
    assert "backbone 'mobilenet_v3_large' reaches only output stride 16 or 32" in message


def test_the_strides_each_backbone_reaches_load():
    for backbone, stride in [("resnet50", 8), ("resnet101", 16), ("resnet18", 32)]:
        _load("deeplabv3", f"model.output_stride={stride}", backbone=backbone)
    _load("deeplabv3", "model.output_stride=32", backbone="mobilenet_v3_large")
    _load("fcn", "model.output_stride=16", backbone="vgg16")


@pytest.mark.parametrize(
    ("name", "backbone", "value", "stages"),
    [
        ("fcn", "resnet18", 9, 5),
        ("fcn", "resnet18", -1, 5),
        ("unet_backbone", "mobilenet_v3_large", 7, 6),
        ("faster_rcnn", "vgg16", 6, 5),
    ],
)
def test_trainable_layers_beyond_the_backbone_stages_names_the_key(name, backbone, value, stages):
    model = {"backbone": backbone, **({"output_stride": 32} if name == "fcn" else {})}
    message = _error(name, f"model.trainable_layers={value}", **model)
    assert message == (
        f"--set model.trainable_layers={value}: 'model.trainable_layers' must be in 0..{stages} "
        f"for backbone '{backbone}' (0 freezes every stage, {stages} trains every stage), "
        f"got {value}"
    )
    assert _load(name, f"model.trainable_layers={stages}", **model)


def test_trainable_layers_without_a_backbone_name_is_at_least_0():
    message = _error("fcn_vgg16", "model.trainable_layers=-1")
    assert message.startswith("--set model.trainable_layers=-1: 'model.trainable_layers' must be")
    assert _load("fcn_vgg16", "model.trainable_layers=0")


@pytest.mark.parametrize("family", sorted(TRAINABLE_STAGES))
def test_the_stage_counts_are_the_backbones_own(family):
    """The bound checked at load is the one each backbone checks when built."""
    stages = TRAINABLE_STAGES[family]
    name = next(n for n in PLAIN_BACKBONES if n.startswith(family))
    with pytest.raises(ValueError, match=re.escape(f"outside 0..{stages} ")):
        PLAIN_BACKBONES[name](trainable_layers=stages + 1)
    assert PLAIN_BACKBONES[name](trainable_layers=stages) is not None


def test_mobilenet_v2_has_the_stages_of_its_family():
    with pytest.raises(ValueError, match=re.escape("outside 0..6 ")):
        PLAIN_BACKBONES["mobilenet_v2"](trainable_layers=7)


def test_unet_decoder_widths_count_the_up_blocks():
    message = _error("unet_backbone", "model.decoder_channels=[64, 32]")
    assert message == (
        "--set 'model.decoder_channels=[64, 32]': 'model.decoder_channels' must be a list of 4 "
        "whole numbers >= 1, one width per up block of the U-Net decoder (to levels c4, c3, c2, "
        "c1, coarse to fine), got [64, 32]; or remove it for the widths of those levels"
    )
    assert _error("unet_resnet34", "model.decoder_channels=[8, 8, 8, 8, 8]").startswith(
        "--set 'model.decoder_channels=[8, 8, 8, 8, 8]': 'model.decoder_channels' must be"
    )
    assert _load("unet_backbone", "model.decoder_channels=[64, 32, 16, 8]")


@pytest.mark.parametrize(
    ("name", "backbone"),
    [
        ("deeplabv3plus", "resnet50_fpn"),
        ("fcn", "resnet18_fpn"),
        ("lraspp", "mobilenet_v3_large_fpn"),
        ("unet_backbone", "resnet34_fpn"),
    ],
)
def test_a_segmenter_on_an_fpn_backbone_is_refused_at_load(name, backbone):
    """FCN, DeepLab and LR-ASPP read their backbone's own levels by name, which an ``_fpn``
    backbone does not have (such a model cannot be built), and a U-Net's decoder widths count
    the plain levels (``model.decoder_channels`` of 4 cannot fit an FPN's pyramid)."""
    message = _error(name, f"model.backbone={backbone}")
    assert f"'model.backbone' = '{backbone}': this segmenter reads a plain backbone's" in message
    assert f"set model.backbone to '{backbone.removesuffix('_fpn')}'" in message
