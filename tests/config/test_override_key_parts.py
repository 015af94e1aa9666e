"""An override key with an empty part (``train..epochs``, ``model.``) is an error of that
override, saying how a key is written, not an unknown key blamed on the config file."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    "key", ["train..epochs", ".train", "model.", "model..fpn", "data.", "model.rpn..nms_thresh"]
)
def test_an_empty_key_part_is_an_error_of_the_override(key):
    with pytest.raises(ConfigError, match=rf"^--set {key}=1: '{key}' has an empty part; "):
        load_config(DEMO, [f"{key}=1"])


def test_an_empty_key_part_in_a_mapping_names_the_override():
    with pytest.raises(ConfigError, match=r"^override 'model\.\.fpn': 'model\.\.fpn' has an empty"):
        load_config(DEMO, {"model..fpn": True})
