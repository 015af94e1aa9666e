"""The layer widths of a config's model (``model.fpn_channels``, ``model.neck_channels``, ...)
are at least 1, checked by name when the config is loaded, before the data loads; null keeps
its meaning where the builder takes it (``neck_channels: null``: no neck)."""

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("config", "key", "value"),
    [
        ("demo.yaml", "fpn_channels", 0),
        ("demo.yaml", "representation_size", -2),
        ("yolo/yolov3_shapes.yaml", "neck_channels", 0),
        ("yolo/yolov3_shapes.yaml", "head_channels", 0),
    ],
)
def test_widths_below_one_are_refused_at_load(config, key, value) -> None:
    with pytest.raises(ConfigError, match=rf"'model.{key}' must be >= 1, got {value}$"):
        load_config(CONFIGS / config, [f"model.{key}={value}"])


def test_a_null_neck_still_means_no_neck() -> None:
    config = load_config(CONFIGS / "yolo" / "yolov3_shapes.yaml", ["model.neck_channels=null"])
    assert config.model.kwargs["neck_channels"] is None
