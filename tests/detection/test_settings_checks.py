"""The range checks of the RPN and RoI-head settings, from Python and from a config."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.detection.roi_heads import RoIHeadsConfig
from detseg.detection.rpn import RPNConfig

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize(
    ("settings", "values", "message"),
    [
        (RoIHeadsConfig, {"nms_thresh": 2.0}, r"nms_thresh must lie in \[0, 1\], got 2.0"),
        (RoIHeadsConfig, {"score_thresh": -0.1}, r"score_thresh must lie in \[0, 1\]"),
        (RoIHeadsConfig, {"detections_per_img": -5}, "detections_per_img must be >= 1, got -5"),
        (RPNConfig, {"pre_nms_top_n_test": 0}, "pre_nms_top_n_test must be >= 1, got 0"),
        (RPNConfig, {"fg_iou_thresh": float("nan")}, "fg_iou_thresh must lie in"),
        (RPNConfig, {"min_box_size": -1.0}, "min_box_size must be >= 0, got -1.0"),
    ],
)
def test_out_of_range_settings_are_refused(settings, values, message):
    with pytest.raises(ValueError, match=message):
        settings(**values)


def test_the_defaults_are_in_range():
    assert RoIHeadsConfig().nms_thresh == 0.5
    assert RPNConfig().nms_thresh == 0.7


def test_a_config_names_the_whole_key():
    with pytest.raises(ConfigError, match=r"model\.roi_heads\.nms_thresh must lie in \[0, 1\]"):
        load_config(DEMO, ["model.roi_heads.nms_thresh=2"])
    with pytest.raises(ConfigError, match=r"model\.rpn\.post_nms_top_n_train must be >= 1"):
        load_config(DEMO, ["model.rpn.post_nms_top_n_train=0"])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"detections_per_img": None}, r"detections_per_img must be a number >= 1, got None"),
        ({"nms_thresh": "0.5"}, r"nms_thresh must be a number in \[0, 1\], got '0.5'"),
        ({"score_thresh": True}, r"score_thresh must be a number in \[0, 1\], got True"),
    ],
)
def test_values_that_are_not_numbers_name_the_setting(values, message):
    with pytest.raises(ValueError, match=message):
        RoIHeadsConfig(**values)
