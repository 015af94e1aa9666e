"""``--set`` of keys in the open sections (model builder arguments, data format keys): a name
stays the text written, YAML 1.1 turns no word into a bool, a date or a surprising number;
what is written on purpose as YAML (lists, numbers, true/false, null) is kept."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, load_config
from detseg.config.overrides import parse_open_value, parse_override

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"

#: Texts that YAML 1.1 reads as a bool, null, a date or a number other than written.
NAME_LIKE = ["yes", "no", "on", "off", "Yes", "OFF", "010", "12:30", "2024-01-01", "1e3"]


@pytest.mark.parametrize("text", [*NAME_LIKE, "2017", "true", "null", "none", "[a]"])
@pytest.mark.parametrize("key", ["data.train_images", "data.val_ann"])
def test_a_string_data_key_keeps_the_text(key, text):
    cfg = load_config(DEMO, [f"{key}={text}"])
    assert cfg.data.options[key.removeprefix("data.")] == text


@pytest.mark.parametrize("text", [*NAME_LIKE, "2007"])
def test_a_split_name_keeps_the_text(text):
    cfg = load_config(DEMO, ["data.format=voc", f"data.val_split={text}"])
    assert cfg.data.options["val_split"] == text


@pytest.mark.parametrize(("text", "value"), [("null", None), ("~", None), ("no", "no")])
def test_a_data_key_with_a_null_default_takes_null_or_text(text, value):
    cfg = load_config(DEMO, ["data.format=yolo", f"data.train_labels={text}"])
    assert cfg.data.options["train_labels"] == value


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("true", True), ("off", False)])
def test_a_bool_data_key_reads_bool_words(text, value):
    cfg = load_config(DEMO, [f"data.load_masks={text}"])
    assert cfg.data.options["load_masks"] is value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("[cat, dog]", ["cat", "dog"]),
        ("null", None),
        ("classes.txt", "classes.txt"),
        *[(text, text) for text in NAME_LIKE],
    ],
)
def test_classes_take_a_list_null_or_a_name(text, value):
    cfg = load_config(DEMO, [f"data.classes={text}"])
    assert cfg.data.options["classes"] == value


@pytest.mark.parametrize(("text", "value"), [("yes", True), ("true", True), ("off", False)])
def test_a_bool_builder_argument_reads_bool_words(text, value):
    # without the FPN's levels the demo's anchors would not fit: the default anchors then
    cfg = load_config(
        DEMO, [f"model.fpn={text}", "model.anchor_sizes=null", "model.aspect_ratios=null"]
    )
    assert cfg.model.kwargs["fpn"] is value


def test_a_name_is_not_turned_into_a_bool():
    with pytest.raises(ConfigError, match=r"--set model.backbone=on: unknown model.backbone 'on'"):
        load_config(DEMO, ["model.backbone=on"])


def test_a_number_with_a_leading_zero_is_not_read_as_octal():
    with pytest.raises(ConfigError, match=r"'model.max_size' must be an int, got '010'"):
        load_config(DEMO, ["model.max_size=010"])


def test_builder_arguments_written_as_yaml_stay_yaml():
    cfg = load_config(
        DEMO,
        ["model.min_size=[480, 512]", "model.max_size=800", "model.rpn={nms_thresh: 0.5}"],
    )
    assert cfg.model.kwargs["min_size"] == [480, 512]
    assert cfg.model.kwargs["max_size"] == 800
    assert cfg.model.kwargs["rpn"]["nms_thresh"] == 0.5


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("800", 800),
        ("-3", -3),
        ("0", 0),
        ("0.5", 0.5),
        ("0x10", 16),
        ("true", True),
        ("False", False),
        ("null", None),
        ("none", None),
        ("", None),
        ("[1, 2]", [1, 2]),
        ("{a: 1}", {"a": 1}),
        ("'yes'", "yes"),
        ("yes", "yes"),
        (" off ", "off"),
        ("010", "010"),
        ("-007.5", "-007.5"),
        ("1:30", "1:30"),
        ("2024-01-01", "2024-01-01"),
        ("2024-01-01 10:00:00", "2024-01-01 10:00:00"),
    ],
)
def test_parse_open_value(text, value):
    parsed = parse_open_value(text)
    assert parsed == value and type(parsed) is type(value)
    assert not isinstance(parsed, datetime.date)


def test_parse_override_of_data_keys_is_what_load_config_uses():
    assert parse_override("data.val_split=no")[1] == "no"
    assert parse_override("data.load_masks=no")[1] is False
    assert parse_override("data.train_labels=null")[1] is None


def test_a_mapping_override_takes_values_as_they_are():
    cfg = load_config(DEMO, {"data.train_images": "010", "data.load_masks": True})
    assert cfg.data.options["train_images"] == "010" and cfg.data.options["load_masks"] is True
