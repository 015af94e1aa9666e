"""``model.init_from: torchvision:<builder>`` names a torchvision builder with a detseg twin,
checked when the config is loaded: an error naming the key (and the closest builder) before
the run starts, not the weights loader's message without the key."""

import re
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ("torchvision:bogus", ""),
        ("torchvision:", ""),
        (
            "torchvision:fasterrcnn_resnet50",
            "; did you mean 'torchvision:fasterrcnn_resnet50_fpn'?",
        ),
    ],
)
def test_an_unknown_torchvision_builder_is_refused_at_load(value, hint) -> None:
    start = (
        f"--set model.init_from={value}: model.init_from '{value}' names no torchvision "
        f"builder with a detseg twin{hint} (known: fasterrcnn_resnet50_fpn, "
    )
    with pytest.raises(ConfigError, match="^" + re.escape(start)):
        load_config(DEMO, [f"model.init_from={value}"])


@pytest.mark.parametrize(
    "value", ["torchvision:fasterrcnn_mobilenet_v3_large_fpn", "runs/demo/best.pt", None]
)
def test_a_known_builder_a_file_or_null_is_kept(value) -> None:
    """A file is read (and checked) when the run starts."""
    assert load_config(DEMO, {"model.init_from": value}).model.init_from == value


SEGMENTER = Path(__file__).resolve().parents[2] / "configs" / "segmentation"


@pytest.mark.parametrize(
    ("config", "value", "held", "built"),
    [
        (DEMO, "torchvision:fcn_resnet50", "segmenter", "detector"),
        (DEMO, "torchvision:deeplabv3_mobilenet_v3_large", "segmenter", "detector"),
        (
            SEGMENTER / "unet_shapes.yaml",
            "torchvision:fasterrcnn_resnet50_fpn",
            "detector",
            "segmenter",
        ),
    ],
)
def test_weights_of_the_other_task_are_refused_at_load(config, value, held, built) -> None:
    """No tensor name of a torchvision segmenter is a detector's (nor the other way round):
    the run would stop at its start, after asking to download weights it cannot use."""
    start = f"--set model.init_from={value}: model.init_from '{value}' holds a {held}'s weights"
    with pytest.raises(ConfigError, match="^" + re.escape(start)) as caught:
        load_config(config, [f"model.init_from={value}"])
    assert f"builds a {built}: name a {built}'s weights (torchvision:" in str(caught.value)


def test_weights_of_the_same_task_pass_the_load_check() -> None:
    config = load_config(
        SEGMENTER / "unet_shapes.yaml", ["model.init_from=torchvision:fcn_resnet50"]
    )
    assert config.model.init_from == "torchvision:fcn_resnet50"
