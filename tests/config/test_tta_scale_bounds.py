"""``eval.tta_scales`` is bounded when the config loads: a factor outside [0.25, 4] asks
for thousands of times the pixels (the process is killed for memory) or for images of a
pixel or two, and is refused with one line naming the key."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.choices.tta_modes import TTA_SCALE_RANGE
from detseg.config import ConfigError, load_config
from detseg.config.schema import EvalConfig

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

UNET = Path(__file__).resolve().parents[2] / "configs" / "segmentation" / "unet_shapes.yaml"


@pytest.mark.parametrize("scales", ["[50]", "[0.001]", "[1.0, 4.5]", "[0.2, 1.0]", "[0]", "[]"])
def test_absurd_factors_are_refused_naming_the_key(scales):
    with pytest.raises(ConfigError) as err:
        load_config(UNET, [f"eval.tta_scales={scales}"])
    message = str(err.value)
    item = shlex.quote(f"eval.tta_scales={scales}")  # one word of the shell
    assert message.startswith(
        f"--set {item}: eval.tta_scales must be a non-empty list of factors "
        "in [0.25, 4] (image resize factors; multi-scale testing uses 0.5 to 2), got "
    )
    assert "\n" not in message


def test_the_factors_people_use_load():
    """MMSegmentation's and DeepLab's 0.5..1.75, HRNet's 2.0, and the bounds themselves."""
    scales = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0]
    assert load_config(UNET, [f"eval.tta_scales={scales}"]).eval.tta_scales == scales
    assert TTA_SCALE_RANGE == (0.25, 4.0)
    assert EvalConfig(tta_scales=list(TTA_SCALE_RANGE)).tta_scales == [0.25, 4.0]


def test_a_checkpoint_config_out_of_bounds_names_the_key():
    with pytest.raises(ConfigError, match=re.escape("eval.tta_scales must be a non-empty list")):
        EvalConfig(tta_scales=[8.0])
