"""Mask R-CNN's mask head settings out of their bounds are refused when the config is loaded,
by a line naming the key (``model.mask_pool_size``), and by the builder with a ``ValueError``;
not by a traceback from the first forward pass, after the data has loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.config.schema import ConfigError
from detseg.detection.mask_rcnn import mask_rcnn

CONFIG = Path(__file__).resolve().parents[2] / "configs" / "mask_rcnn" / "mask_rcnn_shapes.yaml"


@pytest.mark.parametrize(
    ("override", "expected"),
    [
        ("model.mask_pool_size=0", "'model.mask_pool_size' must be >= 1, got 0"),
        ("model.mask_pool_size=-3", "'model.mask_pool_size' must be >= 1, got -3"),
        ("model.mask_dilation=0", "'model.mask_dilation' must be >= 1, got 0"),
        ("model.mask_threshold=2", "'model.mask_threshold' must be in [0, 1], got 2.0"),
        ("model.mask_norm=gn", "'model.mask_norm' must be one of ['bn'], got 'gn'"),
    ],
)
def test_config_names_the_mask_setting(override, expected):
    with pytest.raises(ConfigError) as caught:
        load_config(CONFIG, [override])
    assert expected in str(caught.value)


def test_config_takes_the_valid_mask_settings():
    overrides = ["model.mask_pool_size=7", "model.mask_dilation=2", "model.mask_norm=bn"]
    cfg = load_config(CONFIG, overrides)
    assert cfg.model.kwargs["mask_pool_size"] == 7
    assert cfg.model.kwargs["mask_norm"] == "bn"


@pytest.mark.parametrize(
    ("option", "value"),
    [("mask_pool_size", 0), ("mask_pool_size", 2.5), ("mask_dilation", 0), ("mask_dilation", -1)],
)
def test_builder_refuses_mask_head_sizes_below_one(option, value):
    with pytest.raises(ValueError, match=rf"^{option} must be a whole number >= 1, got {value}$"):
        mask_rcnn(3, backbone="resnet18", fpn_channels=16, **{option: value})
