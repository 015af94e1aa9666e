"""SSD's default-box lists (``model.aspect_ratios``, ``model.steps``: one entry per level of
its backbone's six, ``model.scales``: one more) and YOLOv3's ``model.anchors`` (one list per
distinct ``model.return_layers``) that do not fit the model's levels are refused when the
config is loaded, in one line naming the key, not when the model is built after the data
loads."""

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
            "ssd/ssd300_vgg16_voc.yaml",
            ["model.aspect_ratios=[[2],[2,3],[2,3],[2,3],[2]]"],
            "'model.aspect_ratios' has 5 levels but the model has 6 feature levels",
        ),
        (
            "ssd/ssdlite320_shapes.yaml",
            ["model.steps=[16,32,64]"],
            "'model.steps' has 3 levels but the model has 6 feature levels",
        ),
        (
            "ssd/ssd300_vgg16_coco.yaml",
            ["model.scales=[0.1,0.3,0.5,0.7,0.9,1.05]"],
            "'model.scales' has 6 entries but the model has 6 feature levels",
        ),
        (
            "yolo/yolov3_shapes.yaml",
            ["model.anchors=[[[10,13]],[[30,61]]]"],
            "'model.anchors' has 2 levels but the model has 3 feature levels",
        ),
    ],
)
def test_lists_of_other_levels_are_refused_at_load(config, overrides, expected):
    with pytest.raises(ConfigError, match=re.escape(expected)) as info:
        load_config(CONFIGS / config, overrides)
    assert "\n" not in str(info.value)


def test_lists_that_fit_load():
    cfg = load_config(
        CONFIGS / "yolo/yolov3_coco.yaml",
        ["model.return_layers=[c4,c5]", "model.anchors=[[[10,13]],[[30,61]]]"],
    )
    assert len(cfg.model.kwargs["anchors"]) == 2
    cfg = load_config(CONFIGS / "ssd/ssd300_vgg16_voc.yaml", ["model.steps=[8,16,32,64,100,300]"])
    assert len(cfg.model.kwargs["steps"]) == 6


@pytest.mark.parametrize(
    ("name", "kwargs"),
    [
        ("ssdlite320_mobilenet_v3_large", {}),
        (
            "yolov3_resnet18",
            {"return_layers": ["c4", "c5", "c5"], "anchors": [[[9, 9]], [[30, 30]]]},
        ),
    ],
)
def test_feature_levels_are_those_the_builder_gives(name, kwargs):
    params = inspect.signature(MODELS[name]).parameters
    defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
    model = MODELS[name](2, **kwargs)
    assert feature_levels(defaults | kwargs) == len(model.backbone.out_channels)
