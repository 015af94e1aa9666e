"""Builder arguments that name one of a few choices (``model.norm``, ``model.pooler``,
``model.box_loss``, ``model.upsampling``, ...) are annotated with ``Literal`` types, so that
the config check refuses an unknown name when the config is loaded, naming the key and the
choices, as for the other keys; before, the builder refused it when the model was built,
naming the bare argument (``pooler='x' is not one of ...``)."""

import re
from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"
DEMO = "demo.yaml"
RETINANET = "retinanet/retinanet_shapes.yaml"
SSD = "ssd/ssdlite320_shapes.yaml"
YOLO = "yolo/yolov3_shapes.yaml"
MASK_RCNN = "mask_rcnn/mask_rcnn_shapes.yaml"
UNET = "segmentation/unet_shapes.yaml"
DEEPLAB = "segmentation/deeplabv3plus_shapes.yaml"


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
