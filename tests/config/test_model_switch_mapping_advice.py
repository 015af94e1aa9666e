"""A model switched by ``overrides`` given as a mapping (``{'model.name': 'retinanet'}``) is
told to drop the other model's keys as more items of that mapping (``{'model.fpn': None,
...}``), not as ``'key=value'`` strings, which a mapping cannot hold; that advice, followed,
drops them."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"
_KEYS = ["fpn", "representation_size", "roi_heads", "rpn", "sampling_ratio"]


def test_a_mapping_is_advised_mapping_items_that_load():
    overrides = {"model.name": "retinanet"}
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, overrides)
    message = str(caught.value)
    advised = {f"model.{key}": None for key in _KEYS}
    assert "; override 'model.name' switched the model from 'faster_rcnn' to 'retinanet'" in (
        message
    )
    assert message.endswith(
        f"does not take with {advised!r} added to overrides, or start from a config of retinanet"
    )
    assert "=null" not in message
    # followed, the advice drops those keys: the next run finds the next problem, if any
    with pytest.raises(ConfigError) as again:
        load_config(DEMO, {**overrides, **advised})
    assert "unknown key" not in str(again.value), str(again.value)
    assert "'model.anchor_sizes' has 4 levels" in str(again.value)


def test_a_list_is_still_advised_strings():
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, ["model.name=retinanet"])
    message = str(caught.value)
    listed = ", ".join(repr(f"model.{key}=null") for key in _KEYS)
    assert message.endswith(
        f"does not take with {listed} added to overrides, or start from a config of retinanet"
    )
    tool = caught.value.naming(TOOL_FLAGS)
    assert f"with --set {' '.join(f'model.{key}=null' for key in _KEYS)}, or start" in tool
