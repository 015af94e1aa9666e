"""``neck_channels`` is a YOLOv3 setting: YOLOv1 has no neck, so a width given to v1 is
refused instead of ignored; the default width and ``None`` (no neck) are accepted on both
versions, and a width of 0 is refused rather than taken as "no neck"."""

import pytest

from detseg.detection.yolo import yolo
from detseg.detection.yolo_heads import YOLOv3Neck
from detseg.models import build_model

TINY = {"backbone": "mobilenet_v3_large", "width_mult": 0.25, "input_size": 64, "head_channels": 8}


@pytest.mark.parametrize("width", [16, 128])
def test_v1_refuses_a_neck_width(width) -> None:
    with pytest.raises(ValueError, match=f"neck_channels={width} is a YOLOv3 setting") as info:
        yolo(2, version="v1", neck_channels=width, **TINY)
    assert "\n" not in str(info.value)


def test_v1_preset_from_a_config_refuses_a_neck_width() -> None:
    with pytest.raises(ValueError, match="YOLOv1 has no neck"):
        build_model({"name": "yolov1_resnet18", "neck_channels": 64}, num_classes=2)


def test_v1_takes_the_default_and_no_neck() -> None:
    assert yolo(2, version="v1", **TINY).head.grid_size == 7
    assert yolo(2, version="v1", neck_channels=None, **TINY).head.grid_size == 7


def test_v3_keeps_its_default_neck_of_128_channels() -> None:
    neck = yolo(2, version="v3", **TINY).head.neck
    assert isinstance(neck, YOLOv3Neck)
    assert {m.out_channels for m in neck.modules() if hasattr(m, "out_channels")} == {128}


def test_v3_refuses_a_neck_of_zero_channels() -> None:
    with pytest.raises(ValueError, match="neck_channels >= 1 or null"):
        yolo(2, version="v3", neck_channels=0, **TINY)
