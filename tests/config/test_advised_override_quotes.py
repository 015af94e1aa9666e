"""The ``--set`` item a config error advises is quoted as the ``--set`` item it names: one word
of the user's shell (``detseg.shell_words.shell_word``), so that one message never mixes
single and double quotes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, load_config
from detseg.shell_words import shell_word

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("item", "advised"),
    [
        ("model.rpn={nms_thresh: 0.6", "model.rpn={nms_thresh: 0.6}"),
        ("model.rpn=[1, {a", "model.rpn=[1, {a}]"),
        ("model.rpn={a: b: c}", "model.rpn={name: value}"),
        ("model.rpn={note: it's", "model.rpn={note: it's}"),
    ],
    ids=["mapping", "nested", "not_closable", "apostrophe"],
)
def test_the_advised_item_is_quoted_as_the_named_one(item, advised):
    with pytest.raises(ConfigError) as caught:
        load_config(DEMO, [item])
    tool = caught.value.naming(TOOL_FLAGS)
    assert tool.startswith(f"--set {shell_word(item)}: the value of 'model.rpn' is not valid")
    assert f" --set {shell_word(advised)} (quote the whole argument" in tool
    # what the advice says to type is the item itself, once the shell has read it
    typed = (
        tool.split("; ")[-1]
        .split(" --set ", 1)[1]
        .removesuffix(" (quote the whole argument, so that the shell keeps it in one piece)")
    )
    assert shlex.split(typed) == [advised]
    assert '--set "' not in tool
    assert f"{advised!r} (quote the whole argument" in str(caught.value)  # from Python
