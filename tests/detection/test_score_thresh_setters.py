"""A detector's ``score_thresh`` setter (the API's per-call score override) refuses what the
settings dataclasses refuse at construction: a threshold outside ``[0, 1]``, NaN or a value
that is not a number, in one line naming ``score_thresh``; the setting stays unchanged."""

import pytest

from detseg.models import build_model

SMALL = {"backbone": "mobilenet_v3_large", "width_mult": 0.25, "backbone_weights": None}
DETECTORS = {
    "yolo": {"name": "yolo", **SMALL, "input_size": 64, "neck_channels": 8, "head_channels": 8},
    "faster_rcnn": {"name": "faster_rcnn", **SMALL, "fpn_channels": 8, "representation_size": 8},
    "retinanet": {"name": "retinanet", **SMALL, "fpn_channels": 8, "head_convs": 1},
    "ssdlite": {"name": "ssdlite320_mobilenet_v3_large", "width_mult": 0.25, "size": 64},
}


@pytest.fixture(scope="module", params=sorted(DETECTORS))
def detector(request):
    return build_model(DETECTORS[request.param], num_classes=2)


@pytest.mark.parametrize("value", [1.5, -0.1, float("nan"), "high", None])
def test_out_of_range_thresholds_are_refused(detector, value) -> None:
    before = detector.score_thresh
    with pytest.raises(ValueError, match=r"^score_thresh must (lie in|be a number in) \[0, 1\]"):
        detector.score_thresh = value
    assert detector.score_thresh == before


@pytest.mark.parametrize("value", [0.0, 0.3, 1])
def test_thresholds_in_range_are_set(detector, value) -> None:
    detector.score_thresh = value
    assert detector.score_thresh == float(value)
    assert isinstance(detector.score_thresh, float)
