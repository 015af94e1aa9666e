"""A segmenter's settings are checked when the config loads: a bad value is one error led by
its ``--set``, before the data loads, as ``model.loss.boundary_weight`` or
``model.base_channels`` are.

A negative ``model.loss.aux_weight`` / ``dice_weight`` was refused only when the model was
built, after the data loaded, without its ``--set``; the U-Net's ``model.depth: 0`` and
``model.stem_stride: 3`` gave the builder's words (``U-Net needs depth >= 1 ...``), no key."""

from __future__ import annotations

import pytest

from detseg.command_line import TOOL_FLAGS
from detseg.config import ConfigError, load_config

UNET = "segmentation/unet_shapes.yaml"


def _refusal(override: str) -> str:
    """The error of loading the U-Net config with ``override``, as the tools write it (led by
    the ``--set`` item); from Python it is led by the ``overrides`` item."""
    with pytest.raises(ConfigError) as caught:
        load_config(UNET, [override])
    tool = caught.value.naming(TOOL_FLAGS)
    assert str(caught.value) == tool.replace(f"--set {override}", f"overrides=[{override!r}]", 1)
    return tool


@pytest.mark.parametrize("key", ["aux_weight", "dice_weight"])
@pytest.mark.parametrize("value", ["-1", "-0.5"])
def test_a_negative_loss_weight_is_refused_naming_its_override(key: str, value: str) -> None:
    override = f"model.loss.{key}={value}"
    message = _refusal(override)
    assert message.startswith(f"--set {override}: "), message
    assert f"model.loss.{key} must be a finite number >= 0" in message


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("model.depth=0", "'model.depth' must be >= 1, got 0"),
        ("model.stem_stride=3", "'model.stem_stride' must be in [1, 2], got 3"),
        ("model.stem_stride=0", "'model.stem_stride' must be in [1, 2], got 0"),
    ],
)
def test_a_bad_unet_setting_is_refused_naming_its_key(override: str, expected: str) -> None:
    assert _refusal(override) == f"--set {override}: {expected}"


def test_the_bounds_themselves_load() -> None:
    overrides = [
        "model.loss.dice_weight=0",
        "model.loss.aux_weight=0",
        "model.depth=1",
        "model.stem_stride=1",
    ]
    kwargs = load_config(UNET, overrides).model.kwargs
    assert (kwargs["loss"]["dice_weight"], kwargs["loss"]["aux_weight"]) == (0, 0)
    assert (kwargs["depth"], kwargs["stem_stride"]) == (1, 1)
