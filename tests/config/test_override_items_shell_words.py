"""An override item that a tool's error names is one word of the user's shell: ``--set
'train.epochs=two three'``, quoted where the item holds a space (or a bracket, a brace), so
that the command pasted back gives the same item; Python callers read it as given
(``overrides=['train.epochs=two three']``)."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, load_config

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    "item", ["train.epochs=two three", "train.epochs=$HOME", "model.anchor_sizes=[[1]]"]
)
def test_the_item_is_one_word_of_the_shell(item):
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, ["train.lr=0.01", item])
    assert str(caught.value).startswith(f"overrides=[{item!r}]: ")
    tool = caught.value.naming(TOOL_FLAGS)
    assert tool.startswith(f"--set {shlex.quote(item)}: "), tool
    assert shlex.split(tool.partition(": ")[0]) == ["--set", item]


def test_a_plain_item_stays_unquoted():
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, ["train.epochs=two"])
    assert caught.value.naming(TOOL_FLAGS).startswith("--set train.epochs=two: ")
