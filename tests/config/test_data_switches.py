"""The bool keys of a data section (``load_masks``, ``keep_difficult``, ``cache``) are bools.

The readers take ``bool(value)``: ``load_masks: "false"`` (quoted in YAML) once loaded masks
and ``--set data.load_masks=maybe`` was taken as true, without a word.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, config_from_dict, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)
config_from_dict = as_tool(config_from_dict)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def _data(**keys):
    raw = {"model": {"name": "faster_rcnn"}, "data": {"format": "coco", **keys}}
    return config_from_dict(raw, "exp.yaml").data.options


@pytest.mark.parametrize(("value", "expected"), [("false", False), ("yes", True), (True, True)])
def test_a_switch_written_as_a_bool_word_is_a_bool(value, expected):
    assert _data(load_masks=value)["load_masks"] is expected


@pytest.mark.parametrize("value", ["maybe", 1, None])
def test_a_switch_that_is_no_bool_names_the_key(value):
    with pytest.raises(ConfigError, match=r"^exp.yaml: 'data.load_masks' must be a bool, got "):
        _data(load_masks=value)


def test_a_switch_set_on_the_command_line_names_the_override():
    with pytest.raises(ConfigError) as err:
        load_config(DEMO, ["data.format=voc", "data.keep_difficult=0"])
    assert str(err.value) == (
        "--set data.keep_difficult=0: 'data.keep_difficult' must be a bool, got 0"
    )
    cfg = load_config(DEMO, ["data.format=voc", "data.keep_difficult=off"])
    assert cfg.data.options["keep_difficult"] is False
