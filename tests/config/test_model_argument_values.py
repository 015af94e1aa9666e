"""Bounds of model builder arguments checked by name when the config is loaded
(``PARAMETER_BOUNDS``, ``ITEM_BOUNDS`` of :mod:`detseg.config.model_arg_rules`): a value that
the model would refuse only once built or in its first step (``pool_size: 0``, ``norm_eps: -1``)
or would take silently (``norm_momentum: -1``, an anchor size of 0) is one error naming the
key.

Builder arguments that name one of a few choices (``model.norm``, ``model.pooler``,
``model.box_loss``, ``model.upsampling``, ...) are ``Literal`` types, so an unknown name is
refused at load too, naming the key and the choices (the builder refused it only when the
model was built, naming the bare argument: ``pooler='x' is not one of ...``)."""

import re
import shlex
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DEMO = "demo.yaml"
RETINANET = "retinanet/retinanet_shapes.yaml"
SSD = "ssd/ssdlite320_shapes.yaml"
YOLO = "yolo/yolov3_shapes.yaml"
MASK_RCNN = "mask_rcnn/mask_rcnn_shapes.yaml"
UNET = "segmentation/unet_shapes.yaml"
DEEPLAB = "segmentation/deeplabv3plus_shapes.yaml"


@pytest.mark.parametrize(
    ("config", "override", "message"),
    [
        (DEMO, "model.pool_size=0", "'model.pool_size' must be >= 1, got 0"),
        (MASK_RCNN, "model.pool_size=-1", "'model.pool_size' must be >= 1, got -1"),
        (DEMO, "model.norm_eps=-1", "'model.norm_eps' must be > 0, got -1.0"),
        (RETINANET, "model.norm_eps=0", "'model.norm_eps' must be > 0, got 0.0"),
        (DEMO, "model.norm_momentum=-1", "'model.norm_momentum' must be in [0, 1], got -1.0"),
        (YOLO, "model.norm_momentum=2", "'model.norm_momentum' must be in [0, 1], got 2.0"),
        (RETINANET, "model.focal_alpha=2", "'model.focal_alpha' must be <= 1, got 2.0"),
        (RETINANET, "model.focal_gamma=-1", "'model.focal_gamma' must be >= 0, got -1.0"),
        (SSD, "model.min_ratio=-1", "'model.min_ratio' must be > 0, got -1.0"),
        (SSD, "model.max_ratio=0", "'model.max_ratio' must be > 0, got 0.0"),
        (
            MASK_RCNN,
            "model.fixed_size=[]",
            "'model.fixed_size' must be a list of 2 whole numbers >= 1 (height, width), got []",
        ),
        (
            DEMO,
            "model.fixed_size=[128]",
            "'model.fixed_size' must be a list of 2 whole numbers >= 1 (height, width), got [128]",
        ),
        (
            DEMO,
            "model.fixed_size=[0, 128]",
            "'model.fixed_size' must be a list of whole numbers >= 1, got [0, 128] (item 0 is 0)",
        ),
        (
            DEMO,
            "model.anchor_sizes=[[12, 0], [32], [64], [128]]",
            "'model.anchor_sizes[0][1]' must be > 0, got 0",
        ),
        (
            MASK_RCNN,
            "model.aspect_ratios=[[1.0], [-0.5], [1.0], [1.0]]",
            "'model.aspect_ratios[1][0]' must be > 0, got -0.5",
        ),
        (
            YOLO,
            "model.anchors=[[[10, 10], [15, 0], [23, 22]], [[33, 32], [44, 45], [60, 60]], "
            "[[80, 80], [104, 105], [136, 137]]]",
            "'model.anchors[0][1][1]' must be > 0, got 0.0",
        ),
        (
            SSD,
            "model.scales=[0.1, 0.2, 0.35, 0.5, 0.7, 0.9, -1.05]",
            "'model.scales[6]' must be > 0, got -1.05",
        ),
        (SSD, "model.steps=[16, 32, 64, 107, 160, 0]", "'model.steps[5]' must be > 0, got 0"),
    ],
)
def test_a_value_out_of_bounds_is_refused_at_load(config, override, message) -> None:
    tool = f"--set {shlex.quote(override)}: {message}"  # the item one word of the shell
    with pytest.raises(ConfigError, match="^" + re.escape(tool) + "$"):
        load_config(CONFIGS / config, [override])


@pytest.mark.parametrize(
    ("config", "values"),
    [
        (DEMO, {"pool_size": 1, "norm_eps": 1e-3, "norm_momentum": 0.0}),
        (DEMO, {"norm_momentum": 1.0, "fixed_size": [128, 160], "norm_eps": None}),
        (RETINANET, {"focal_alpha": -1.0, "focal_gamma": 0.0}),  # alpha < 0: unweighted
        (RETINANET, {"focal_alpha": 1.0}),
        (SSD, {"min_ratio": 0.1, "max_ratio": 1.05}),
        (
            SSD,
            {"scales": [0.05, 0.1, 0.2, 0.4, 0.6, 0.8, 1.2], "steps": [16, 32, 64, 107, 160, 320]},
        ),
        (
            DEMO,
            {
                "anchor_sizes": [[8], [16], [32], [64]],
                "aspect_ratios": [[0.25], [1.0], [1.0], [4.0]],
            },
        ),
    ],
)
def test_values_within_the_bounds_are_kept(config, values) -> None:
    overrides = {f"model.{key}": value for key, value in values.items()}
    kwargs = load_config(CONFIGS / config, overrides).model.kwargs
    assert {key: kwargs[key] for key in values} == values


@pytest.mark.parametrize(
    ("config", "key", "choices"),
    [
        (DEMO, "norm", ["frozen_bn", "bn"]),
        (DEMO, "fpn_norm", ["bn"]),
        (DEMO, "pooler", ["align", "pool"]),
        (MASK_RCNN, "box_head", ["mlp", "conv"]),
        (RETINANET, "norm", ["frozen_bn", "bn"]),
        (RETINANET, "head_norm", ["group"]),
        (RETINANET, "box_loss", ["smooth_l1", "l1", "giou"]),
        (RETINANET, "p6p7_from", ["p5", "c5"]),
        (SSD, "head", ["conv", "separable"]),
        (SSD, "conv_init", ["normal", "kaiming"]),
        (YOLO, "norm", ["frozen_bn", "bn"]),
        (UNET, "norm", ["bn"]),
        (UNET, "upsampling", ["transpose", "bilinear"]),
        (DEEPLAB, "norm", ["frozen_bn", "bn"]),
    ],
)
def test_an_unknown_choice_is_refused_at_load_naming_the_key(config, key, choices) -> None:
    override = f"model.{key}=groupnorm"
    message = f"--set {override}: 'model.{key}' must be one of {choices}, got 'groupnorm'"
    with pytest.raises(ConfigError, match="^" + re.escape(message) + "$"):
        load_config(CONFIGS / config, [override])


@pytest.mark.parametrize(
    ("config", "values"),
    [
        (DEMO, {"norm": "frozen_bn", "fpn_norm": "bn", "pooler": "pool", "box_head": "conv"}),
        (DEMO, {"norm": None, "fpn_norm": None}),
        (RETINANET, {"head_norm": "group", "box_loss": "giou", "p6p7_from": "c5"}),
        (SSD, {"head": "conv", "conv_init": "kaiming"}),
        (UNET, {"norm": None, "upsampling": "bilinear"}),
        (DEEPLAB, {"norm": "frozen_bn"}),
    ],
)
def test_each_choice_is_kept(config, values) -> None:
    overrides = {f"model.{key}": value for key, value in values.items()}
    kwargs = load_config(CONFIGS / config, overrides).model.kwargs
    assert {key: kwargs[key] for key in values} == values
