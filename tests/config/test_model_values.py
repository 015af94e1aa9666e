"""Model keys are checked by the type (and Range bounds) of the builder's parameters and of
their settings dataclasses' fields, when the config loads."""

from __future__ import annotations

import re
import shlex
import sys
import types
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import pytest
from tool_wording import as_tool

from detseg.config import ConfigError, Range, config_from_dict
from detseg.config.checks import coerce

# The errors as the tools' error lines write them: an override as its --set item.
config_from_dict = as_tool(config_from_dict)


@dataclass(frozen=True)
class _HeadConfig:
    nms_thresh: Annotated[float, Range(0, 1)] = 0.5
    weights: tuple[float, float] = (1.0, 1.0)
    kind: str = "ce"

    def __post_init__(self) -> None:
        if self.kind not in ("ce", "dice"):
            raise ValueError(f"model.head.kind must be ce or dice, got {self.kind!r}")


def _toy_builder(
    num_classes: int,
    fpn: bool = True,
    fpn_channels: int = 256,
    min_size: int | Sequence[int] = 800,
    max_size: Annotated[int, Range(1)] = 1333,
    image_mean: Sequence[float] = (0.485, 0.456, 0.406),
    score_thresh: Annotated[float, Range(0, 1, low_open=True)] = 0.05,
    backbone_weights: str | None = None,
    norm: str = "bn",
    odd: UnknownType = None,  # noqa: F821 (an annotation that does not resolve: unchecked)
    head: _HeadConfig | dict[str, Any] | None = None,
    rpn: dict[str, Any] | None = None,  # Faster R-CNN's RPNConfig (PLAIN_DICT_SECTIONS)
):
    raise AssertionError("config loading must not build the model")


@pytest.fixture
def toy_models(monkeypatch):
    fake = types.ModuleType("detseg.models")
    fake.MODELS = {"toy": _toy_builder}
    monkeypatch.setitem(sys.modules, "detseg.models", fake)


def _load(*sets: str, **model: Any):
    return config_from_dict({"model": {"name": "toy", **model}}, "exp.yaml", overrides=sets)


@pytest.mark.usefixtures("toy_models")
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.fpn_channels=abc", "'model.fpn_channels' must be an int, got 'abc'"),
        ("model.fpn=maybe", "'model.fpn' must be a bool, got 'maybe'"),
        ("model.max_size=1.5", "'model.max_size' must be an int, got 1.5"),
        ("model.min_size=abc", "'model.min_size' must be an int or a list of ints, got 'abc'"),
        ("model.image_mean=[1, x]", "'model.image_mean[1]' must be a float, got 'x'"),
        ("model.norm=null", "'model.norm' must be a string, got None"),
        ("model.rpn.nms_thresh=abc", "'model.rpn.nms_thresh' must be a float, got 'abc'"),
        ("model.rpn=7", "'model.rpn' must be a mapping or null, got 7"),
        ("model.head.nms_thresh=abc", "'model.head.nms_thresh' must be a float, got 'abc'"),
        ("model.head.weights=[1]", "'model.head.weights' must be a list of 2 items"),
    ],
)
def test_a_value_of_a_wrong_type_names_the_key(override, message):
    """The error names the ``--set`` that gave the value (not the file, whose value it is not)."""
    tool = f"--set {shlex.quote(override)}: {message}"  # the item one word of the shell
    with pytest.raises(ConfigError, match="^" + re.escape(tool)):
        _load(override)


@pytest.mark.usefixtures("toy_models")
@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("model.max_size=0", "'model.max_size' must be >= 1, got 0"),
        ("model.score_thresh=0", "'model.score_thresh' must be in (0, 1], got 0.0"),
        ("model.head.nms_thresh=2", "'model.head.nms_thresh' must be in [0, 1], got 2.0"),
        ("model.head.kind=focal", "model.head.kind must be ce or dice, got 'focal'"),
    ],
)
def test_declared_bounds_and_section_checks_apply_at_load(override, message):
    tool = f"--set {shlex.quote(override)}: {message}"  # the item one word of the shell
    with pytest.raises(ConfigError, match="^" + re.escape(tool)):
        _load(override)


@pytest.mark.usefixtures("toy_models")
def test_unknown_nested_key_gets_the_closest_field():
    with pytest.raises(ConfigError, match=r"unknown key 'model.rpn.nms_tresh'; did you mean "):
        _load("model.rpn.nms_tresh=0.5")
    with pytest.raises(ConfigError, match=r"unknown key 'model.head.nms_thres'; did you mean "):
        _load(head={"nms_thres": 0.5})


@pytest.mark.usefixtures("toy_models")
def test_good_values_load_converted_to_what_the_builder_takes():
    cfg = _load(
        "model.min_size=[600, 700]",
        "model.image_mean=[1, 2, 3]",
        "model.backbone_weights=null",
        "model.odd=anything",
        "model.head.weights=[2, 3]",
        rpn={"nms_thresh": "1e-1", "pre_nms_top_n_test": 300},
        score_thresh=1,
    )
    assert cfg.model.kwargs == {
        "rpn": {"nms_thresh": 0.1, "pre_nms_top_n_test": 300},  # YAML 1.1's "1e-1": a float
        "score_thresh": 1.0,
        "min_size": [600, 700],
        "image_mean": [1.0, 2.0, 3.0],
        "backbone_weights": None,
        "odd": "anything",
        "head": {"weights": [2.0, 3.0]},
    }
    assert _load(min_size=512, rpn=None, head=None).model.kwargs["min_size"] == 512


def test_range_describes_its_bounds():
    assert Range(0, 1).describe() == "in [0, 1]"
    assert Range(0, 1, low_open=True, high_open=True).describe() == "in (0, 1)"
    assert Range(1).describe() == ">= 1"
    assert Range(0, low_open=True).describe() == "> 0"
    assert Range(high=5).describe() == "<= 5"
    assert Range(0, 1).contains(1) and not Range(0, 1, high_open=True).contains(1)


def test_coerce_keeps_strict_types_for_the_schema():
    """An annotation coerce does not know is a bug of a schema, unless lenient (builders)."""
    with pytest.raises(TypeError, match="unsupported config field type"):
        coerce(1, set[int], "exp.yaml", "train.x")
    assert coerce({1}, set[int], "exp.yaml", "model.x", lenient=True) == {1}
    assert coerce(None, Annotated[int | None, Range(1)], "exp.yaml", "model.x") is None


@pytest.mark.parametrize(
    ("name", "override", "message"),
    [
        (
            "faster_rcnn_resnet50_fpn",
            "model.roi_heads.nms_thresh=abc",
            "'model.roi_heads.nms_thresh' must be a float, got 'abc'",
        ),
        (
            "faster_rcnn_resnet50_fpn",
            "model.roi_heads.detections_per_img=abc",
            "'model.roi_heads.detections_per_img' must be an int, got 'abc'",
        ),
        ("mask_rcnn_resnet50_fpn", "model.fpn_channels=abc", "'model.fpn_channels' must be an int"),
        ("yolov3_resnet18", "model.inference.nms_thresh=x", "'model.inference.nms_thresh' must"),
        ("deeplabv3_resnet50", "model.atrous_rates=[a]", "'model.atrous_rates' must be a list"),
        ("unet", "model.input.scale=2", "model.input.scale must be in (0, 1], got 2"),
    ],
)
def test_real_builders_and_presets_check_their_values(name, override, message):
    """Presets resolve the annotations of their base builder's signature."""
    tool = f"--set {shlex.quote(override)}: {message}"  # the item one word of the shell
    with pytest.raises(ConfigError, match="^" + re.escape(tool)):
        config_from_dict({"model": {"name": name}}, "exp.yaml", overrides=[override])
