"""A ``--set`` value written as a YAML mapping or list that YAML cannot read (an unclosed brace,
a key written twice) is called invalid YAML, with YAML's short reason and the fixed form,
instead of a type error about the text it would otherwise be taken as."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("item", "reason", "fixed"),
    [
        (
            "model.rpn={nms_thresh: 0.6",
            "expected ',' or '}', but got '<stream end>'",
            "--set 'model.rpn={nms_thresh: 0.6}'",
        ),
        ("train.milestones=[8, 11", "expected ',' or ']', but got '<stream end>'", "[8, 11]"),
        ("model.rpn={a: [1, 2}", "expected ',' or ']', but got '}'", "{name: value}"),
        ("model.rpn={a: 1, a: 2}", "found duplicate key 'a'", "write each key once"),
        ("model.rpn={nms_thresh:", "", "{name: value}"),  # a --set split by the shell
    ],
)
def test_invalid_yaml_is_named_with_the_reason_and_the_fixed_form(item, reason, fixed):
    key = item.partition("=")[0]
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, [item])
    message = str(info.value)
    # the item one word of the shell, quoted as it holds braces, brackets or spaces
    assert message.startswith(f"--set '{item}': the value of '{key}' is not valid YAML ({reason}")
    assert fixed in message and "quote the whole argument" in message
    assert "must be a" not in message and "\n" not in message


def test_valid_yaml_is_taken():
    cfg = load_config(DEMO, ["model.rpn={nms_thresh: 0.6}", "train.milestones=[8, 11]"])
    assert cfg.train.milestones == [8, 11]
    assert cfg.model.to_dict()["rpn"]["nms_thresh"] == 0.6
