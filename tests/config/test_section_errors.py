"""Config errors at load: a non-mapping section under ``--set``, a YAML boolean for a choice,
anchor levels that do not match."""

from __future__ import annotations

from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import load_config
from detseg.config.schema import ConfigError

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

ROOT = Path(__file__).resolve().parents[2]
REFERENCE = ROOT / "configs" / "_base_" / "shapes_cpu.yaml"


@pytest.mark.parametrize("section", ["train: 5", "train: [1]", "data: x", "eval: 0.5"])
@pytest.mark.parametrize("override", ["train.max_iters=1", "data.root=/x", "data.format=voc"])
def test_an_override_does_not_replace_a_section_that_is_no_mapping(tmp_path, section, override):
    path = tmp_path / "c.yaml"
    path.write_text(f"model: {{name: faster_rcnn}}\n{section}\n")
    key = section.split(":")[0]
    with pytest.raises(ConfigError, match=rf"c\.yaml: '{key}' must be a mapping, got") as err:
        load_config(path, [override])
    assert "\n" not in str(err.value)
    if override.split(".")[0] == key:
        assert f"--set {override}" in str(err.value)


def test_a_null_section_is_empty_with_or_without_an_override(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("model: {name: faster_rcnn}\ntrain: null\n")
    assert load_config(path).train.batch_size == 2  # the defaults
    assert load_config(path, ["train.max_iters=1"]).train.max_iters == 1


@pytest.mark.parametrize("text", ["yes", "no", "on", "off"])
def test_a_yaml_boolean_for_a_choice_says_it_was_read_as_a_boolean(text):
    with pytest.raises(ConfigError) as err:
        load_config(ROOT / "configs" / "demo.yaml", [f"model.compile={text}"])
    message = str(err.value)
    assert "model.compile" in message and "read" in message and "boolean" in message
    assert "none, backbone, all" in message


def test_anchor_levels_are_checked_when_the_config_loads():
    with pytest.raises(ConfigError) as err:
        load_config(ROOT / "configs" / "demo.yaml", ["model.anchor_sizes=[[1]]"])
    message = str(err.value)
    assert message.startswith("--set 'model.anchor_sizes=[[1]]': ")  # the value that is wrong
    assert "'model.anchor_sizes' has 1 levels but 'model.aspect_ratios' has 4" in message
