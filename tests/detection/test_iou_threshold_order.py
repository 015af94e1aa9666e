"""A background IoU threshold above the foreground one is refused where the settings are
made, naming both settings (it failed later with the matcher's ``low_threshold (0.7) must be
<= high_threshold (0.3)``, which names no setting); from a config the section is named."""

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.detection.retinanet import RetinaNetConfig
from detseg.detection.roi_heads import RoIHeadsConfig
from detseg.detection.rpn import RPNConfig

DEMO = Path(__file__).resolve().parents[2] / "configs" / "demo.yaml"


@pytest.mark.parametrize("settings", [RPNConfig, RoIHeadsConfig, RetinaNetConfig])
def test_background_above_foreground_is_refused(settings) -> None:
    with pytest.raises(ValueError, match=r"^bg_iou_thresh \(0.7\) must be <= fg_iou_thresh"):
        settings(fg_iou_thresh=0.3, bg_iou_thresh=0.7)


@pytest.mark.parametrize("settings", [RPNConfig, RoIHeadsConfig, RetinaNetConfig])
def test_equal_thresholds_are_kept(settings) -> None:
    assert settings(fg_iou_thresh=0.5, bg_iou_thresh=0.5).bg_iou_thresh == 0.5


def test_a_config_names_the_section() -> None:
    with pytest.raises(ConfigError, match=r"model\.rpn\.bg_iou_thresh \(0.8\) must be <= fg"):
        load_config(DEMO, ["model.rpn.bg_iou_thresh=0.8"])
