"""``train.milestones`` out of order is refused when the config loads, naming the key.

The multistep schedule once found it only after the dataset was read and the model built, in
iterations rather than the epochs the config gives (``milestones must be increasing, got
[2500, 1000]``), naming no key.
"""

from __future__ import annotations

import shlex
import sys
import types

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, config_from_dict

# The errors as the tools' error lines write them: an override as its --set item.
config_from_dict = as_tool(config_from_dict)


def _toy_builder(num_classes: int):
    raise AssertionError("config loading must not build the model")


@pytest.fixture(autouse=True)
def toy_models(monkeypatch):
    fake = types.ModuleType("detseg.models")
    fake.MODELS = {"toy": _toy_builder}
    monkeypatch.setitem(sys.modules, "detseg.models", fake)


def _load(*sets: str):
    return config_from_dict({"model": {"name": "toy"}}, "exp.yaml", overrides=sets)


@pytest.mark.parametrize("text", ["[11, 8]", "[-1, 8]"])
def test_milestones_out_of_order_or_negative_name_the_key(text):
    with pytest.raises(ConfigError) as err:
        _load(f"train.milestones={text}")
    item = shlex.quote(f"train.milestones={text}")  # one word of the shell
    assert str(err.value).startswith(
        f"--set {item}: train.milestones must be increasing epochs >= 0"
    )


def test_a_milestone_in_the_file_names_the_file():
    with pytest.raises(ConfigError, match=r"^exp.yaml: train.milestones must be increasing"):
        config_from_dict({"model": {"name": "toy"}, "train": {"milestones": [3, 2]}}, "exp.yaml")


@pytest.mark.parametrize("milestones", [[], [0], [8, 11], [8, 8, 11], [20, 30]])
def test_milestones_in_order_load(milestones):
    assert _load(f"train.milestones={milestones}").train.milestones == milestones
