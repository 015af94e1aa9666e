"""The YOLO settings dataclasses refuse out-of-range values where they are made (as
``RoIHeadsConfig`` does): inference values that gave a ``topk`` error at the first prediction
or silently no detections, and negative loss weights that trained their term upwards."""

import pytest

from detseg.detection.yolo import YOLOInferenceConfig
from detseg.detection.yolo_loss import YOLOv1LossConfig, YOLOv3LossConfig
from detseg.models import build_model


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("score_thresh", 1.5),
        ("score_thresh", float("nan")),
        ("nms_thresh", -0.1),
        ("pre_nms_top_n", 0),
        ("pre_nms_top_n", -1),
        ("max_detections", -1),
        ("min_box_size", -1.0),
    ],
)
def test_out_of_range_values_are_refused(key, value) -> None:
    with pytest.raises(ValueError, match=f"^{key} must") as info:
        YOLOInferenceConfig(**{key: value})
    assert "\n" not in str(info.value)


def test_builder_refuses_a_negative_top_n() -> None:
    with pytest.raises(ValueError, match="pre_nms_top_n must be >= 1"):
        build_model({"name": "yolov3_resnet18", "inference": {"pre_nms_top_n": -1}}, num_classes=2)


def test_edge_values_are_kept() -> None:
    config = YOLOInferenceConfig(score_thresh=0.0, nms_thresh=1.0, max_detections=1)
    assert (config.score_thresh, config.nms_thresh, config.max_detections) == (0.0, 1.0, 1)


@pytest.mark.parametrize(
    ("config", "key"),
    [
        (YOLOv1LossConfig, "lambda_coord"),
        (YOLOv1LossConfig, "lambda_noobj"),
        (YOLOv3LossConfig, "box_weight"),
        (YOLOv3LossConfig, "noobj_weight"),
        (YOLOv3LossConfig, "smooth_l1_beta"),
    ],
)
def test_negative_loss_weights_are_refused(config, key) -> None:
    with pytest.raises(ValueError, match=f"^{key} must be >= 0, got -1"):
        config(**{key: -1.0})
