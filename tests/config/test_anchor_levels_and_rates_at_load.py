"""Anchor lists of another number of levels than the detector's feature levels
(``model.anchor_sizes`` / ``model.aspect_ratios`` against the backbone's levels in
``model.return_layers`` and those the FPN adds) and an empty ``model.atrous_rates`` of a
DeepLab are refused when the config is loaded, in one line naming the key, not when the model
is built after the data loads."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.config.model_arg_rules import feature_levels
from detseg.models import MODELS

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("config", "overrides", "expected"),
    [
        (
            "faster_rcnn/faster_rcnn_r50_fpn_coco.yaml",
            ["model.anchor_sizes=[[32],[64],[128]]"],
            "'model.anchor_sizes' has 3 levels but the model has 5 feature levels",
        ),
        (
            "retinanet/retinanet_r50_fpn_coco.yaml",
            ["model.aspect_ratios=[[1.0]]"],
            "'model.aspect_ratios' has 1 levels but the model has 5 feature levels",
        ),
        (
            "faster_rcnn/faster_rcnn_mobilenet_v3_fpn_shapes.yaml",
            ["model.return_layers=[c5]"],
            "'model.anchor_sizes' (the model's default) has 3 levels but the model has 2",
        ),
    ],
)
def test_anchor_lists_of_other_levels_are_refused_at_load(config, overrides, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)) as info:
        load_config(CONFIGS / config, overrides)
    assert "\n" not in str(info.value)


def test_anchor_lists_that_fit_load():
    cfg = load_config(
        CONFIGS / "retinanet/retinanet_r50_fpn_coco.yaml",
        ["model.return_layers=[c4,c5]", "model.anchor_sizes=[[32],[64],[128],[256]]"],
    )
    assert len(cfg.model.kwargs["anchor_sizes"]) == 4


@pytest.mark.parametrize(
    ("name", "kwargs", "levels"),
    [
        ("faster_rcnn", {"backbone": "resnet18"}, 5),
        ("faster_rcnn", {"backbone": "resnet18", "fpn": False}, 1),
        ("faster_rcnn", {"backbone": "resnet18", "return_layers": ["c4", "c5"]}, 3),
        ("faster_rcnn", {"backbone": "vgg16"}, 4),
        ("retinanet", {"backbone": "mobilenet_v2"}, 5),
        ("retinanet", {"backbone": "resnet18", "return_layers": "c5"}, 3),
        ("faster_rcnn_vgg16", {}, 1),
    ],
)
def test_feature_levels_are_those_the_builder_gives(name, kwargs, levels):
    params = inspect.signature(MODELS[name]).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    assert feature_levels(defaults | kwargs) == levels


@pytest.mark.parametrize(
    "config",
    ["segmentation/deeplabv3plus_shapes.yaml", "segmentation/deeplabv3_mobilenet_v3_shapes.yaml"],
)
def test_empty_atrous_rates_are_refused_at_load(config):
    with pytest.raises(ConfigError, match=r"'model.atrous_rates' must be a non-empty list") as info:
        load_config(CONFIGS / config, ["model.atrous_rates=[]"])
    assert "\n" not in str(info.value)
