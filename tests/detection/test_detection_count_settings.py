"""The most detections per image is at least 1 for every detector's settings (as
``RoIHeadsConfig.detections_per_img``): 0 would make a detector that never detects. And
``RetinaNetConfig`` refuses thresholds outside ``[0, 1]``, as the other settings do."""

import pytest

from detseg.detection.retinanet import RetinaNetConfig
from detseg.detection.roi_heads import RoIHeadsConfig
from detseg.detection.ssd import SSDConfig
from detseg.detection.yolo import YOLOInferenceConfig

COUNT_SETTINGS = [
    (RetinaNetConfig, "detections_per_img"),
    (SSDConfig, "detections_per_img"),
    (RoIHeadsConfig, "detections_per_img"),
    (YOLOInferenceConfig, "max_detections"),
]


@pytest.mark.parametrize(("settings", "key"), COUNT_SETTINGS)
def test_zero_detections_per_image_is_refused(settings, key) -> None:
    with pytest.raises(ValueError, match=f"^{key} must be >= 1, got 0$"):
        settings(**{key: 0})


@pytest.mark.parametrize(("settings", "key"), COUNT_SETTINGS)
def test_one_detection_per_image_is_kept(settings, key) -> None:
    assert getattr(settings(**{key: 1}), key) == 1


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("score_thresh", 1.5),
        ("score_thresh", float("nan")),
        ("nms_thresh", 2.0),
        ("fg_iou_thresh", -0.5),
        ("bg_iou_thresh", 1.2),
        ("smooth_l1_beta", -1.0),
        ("topk_candidates", 0),
    ],
)
def test_retinanet_settings_out_of_range_are_refused(key, value) -> None:
    with pytest.raises(ValueError, match=f"^{key} must"):
        RetinaNetConfig(**{key: value})


def test_ssd_score_thresh_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^score_thresh must lie in \[0, 1\], got -0.1"):
        SSDConfig(score_thresh=-0.1)
