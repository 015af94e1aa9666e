"""YOLOv1 predicts boxes without anchors: ``anchors`` given with ``version="v1"`` is refused."""

import pytest

from detseg.detection.yolo import yolo
from detseg.models import build_model


def test_v1_with_anchors_is_one_line() -> None:
    anchors = [[[10.0, 13.0], [16.0, 30.0]]]
    with pytest.raises(ValueError, match="YOLOv1 predicts boxes without anchors") as info:
        yolo(3, version="v1", anchors=anchors)
    assert "\n" not in str(info.value)


def test_v1_preset_with_anchors_is_refused() -> None:
    with pytest.raises(ValueError, match="without anchors"):
        build_model({"name": "yolov1_resnet18", "anchors": [[[10.0, 13.0]]]}, num_classes=3)
