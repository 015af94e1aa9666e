"""Overrides from Python as a mapping of dotted keys, the English of type errors, and the
builder arguments every detseg builder shares (``model.backbone``, ``model.width_mult``)
checked by key when the config loads."""

from __future__ import annotations

import typing
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, Range, load_config
from detseg.config.checks import type_name

# The errors as the tools' error lines write them: an override as its --set item.
load_config = as_tool(load_config)

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


def test_a_mapping_of_dotted_keys_overrides_like_set():
    cfg = load_config(DEMO, {"train.epochs": 1, "model.min_size": [224, 256], "eval.tta": "none"})
    assert cfg.train.epochs == 1 and cfg.model.kwargs["min_size"] == [224, 256]
    assert cfg.eval.tta == "none"
    same = load_config(DEMO, ["train.epochs=1", "model.min_size=[224, 256]", "eval.tta=none"])
    assert same == cfg


def test_a_mapping_switches_the_data_format_first():
    cfg = load_config(DEMO, {"data.root": "/data/voc", "data.format": "voc"})
    assert cfg.data.format == "voc" and cfg.data.root == "/data/voc"


def test_mapping_values_are_checked_like_any_override():
    with pytest.raises(ConfigError, match=r"'train\.epochs' must be an int, got 'x'"):
        load_config(DEMO, {"train.epochs": "x"})
    with pytest.raises(
        ConfigError, match=r"override 'train\.epocs': unknown key .*'train\.epochs'"
    ):
        load_config(DEMO, {"train.epocs": 1})
    with pytest.raises(ConfigError, match=r"'train' is a section; set one of its keys"):
        load_config(DEMO, {"train": {"epochs": 1}})


@pytest.mark.parametrize("overrides", ["train.epochs=1", [1], [("train.epochs", 1)]])
def test_other_forms_are_a_type_error(overrides):
    with pytest.raises(TypeError, match=r"list of 'key=value' strings .* or a mapping"):
        load_config(DEMO, overrides)


@pytest.mark.parametrize(
    ("tp", "name"),
    [
        (int, "an int"),
        (float, "a float"),
        (str, "a string"),
        (bool, "a bool"),
        (int | None, "an int or null"),
        (int | Sequence[int], "an int or a list of ints"),
        (list[list[int]], "a list of lists of ints"),
        (Sequence[Sequence[float]] | None, "a list of lists of floats or null"),
        (tuple[int, float], "a list of 2 items (an int, a float)"),
        (Sequence[tuple[int, int]], "a list of lists of 2 items (an int, an int)"),
        (Annotated[int, Range(1)], "an int"),
        (dict[str, Any], "a mapping"),
        (Sequence[dict], "a list of mappings"),
        (Literal["a", "b"], "one of 'a', 'b'"),
        (list[typing.Literal["a"]], "a list of values from 'a'"),
    ],
)
def test_type_names_are_english(tp, name):
    assert type_name(tp) == name


def test_set_errors_say_an_int_and_lists_of_ints():
    with pytest.raises(ConfigError, match=r"'train\.epochs' must be an int, got 'x'"):
        load_config(DEMO, ["train.epochs=x"])
    with pytest.raises(ConfigError, match=r"'model\.anchor_sizes' must be a list of lists of ints"):
        load_config(DEMO, ["model.anchor_sizes=7"])


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.width_mult=-1", "'model.width_mult' must be > 0, got -1.0"),
        ("model.width_mult=0", "'model.width_mult' must be > 0, got 0.0"),
        (
            "model.backbone=resnt50",
            "unknown model.backbone 'resnt50'; did you mean 'resnet50'? (known: vgg16, ",
        ),
        (
            "model.backbone=resnet18",  # the demo's width_mult 0.5 is for its MobileNet
            "'model.width_mult' is 0.5, which needs a MobileNet backbone, but model.backbone is "
            "'resnet18'; set model.width_mult to 1.0",
        ),
    ],
)
def test_backbone_arguments_name_their_key_when_the_config_loads(override, message):
    with pytest.raises(ConfigError) as info:
        load_config(DEMO, [override])
    assert str(info.value).startswith(f"--set {override}: {message}"), str(info.value)


@pytest.mark.parametrize("name", ["segmentation/fcn_shapes.yaml", "yolo/yolov1_shapes.yaml"])
def test_other_families_check_the_backbone_too(name):
    with pytest.raises(ConfigError, match=r"unknown model\.backbone 'mobilenet_v3'; did you mean"):
        load_config(DEMO.parent / name, ["model.backbone=mobilenet_v3"])


def test_train_stops_on_a_bad_width_before_the_data_loads(tmp_path, run_tool):
    missing = tmp_path / "no_data"  # the data would fail to load: the model key fails first
    result = run_tool(
        "train.py",
        DEMO,
        "--set",
        f"data.root={missing}",
        "model.width_mult=-1",
        "--work-dir",
        tmp_path / "run",
    )
    assert result.returncode == 2, result.stderr
    expected = "--set model.width_mult=-1: 'model.width_mult' must be > 0, got -1.0"
    assert result.stderr == f"train: error: {expected}\n"
