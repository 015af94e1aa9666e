"""``neck_channels`` left out of the YOLO builder is a marker of its own (not the width 128),
resolved in one place: YOLOv3's 128-channel neck on v3, no neck on v1; a config still takes
an int or null for it, with the same messages."""

import pytest

from detseg.config import ConfigError
from detseg.config.checks import coerce
from detseg.detection.yolo_settings import (
    DEFAULT_NECK_CHANNELS,
    V3_NECK_CHANNELS,
    VersionDefault,
    neck_width,
)


@pytest.mark.parametrize(
    ("version", "given", "width"),
    [
        ("v3", DEFAULT_NECK_CHANNELS, V3_NECK_CHANNELS),
        ("v1", DEFAULT_NECK_CHANNELS, None),
        ("v3", 128, 128),
        ("v3", None, None),
    ],
)
def test_the_default_resolves_per_version(version, given, width):
    assert neck_width(version, given) == width


def test_a_config_value_is_an_int_or_null():
    tp = int | None | VersionDefault
    assert coerce(64, tp, "f.yaml", "model.neck_channels", lenient=True) == 64
    assert coerce(None, tp, "f.yaml", "model.neck_channels", lenient=True) is None
    with pytest.raises(ConfigError, match="'model.neck_channels' must be an int or null, got 'x'"):
        coerce("x", tp, "f.yaml", "model.neck_channels", lenient=True)
