"""The builder's version settings: those of one YOLO version given to the other are refused,
not ignored (``grid_size`` and ``boxes_per_cell`` are v1 only); an empty ``anchors`` list is
refused rather than replaced by the default priors (and ``return_layers=[]`` or
``input_size=0`` rather than replaced by the defaults); misshapen or non-finite ``anchors``,
and the default priors on a backbone with other than three levels, get one line naming the
key."""

import pytest

from detseg.detection.yolo import yolo
from detseg.models import build_model


@pytest.mark.parametrize(("key", "value"), [("grid_size", 13), ("boxes_per_cell", 3)])
def test_v3_refuses_v1_grid_settings(key, value) -> None:
    with pytest.raises(ValueError, match=f"{key} is a YOLOv1 setting") as info:
        yolo(3, version="v3", **{key: value})
    assert "\n" not in str(info.value)


def test_v3_preset_refuses_grid_size() -> None:
    with pytest.raises(ValueError, match="grid_size is a YOLOv1 setting"):
        build_model({"name": "yolov3_resnet18", "grid_size": 13}, num_classes=3)


@pytest.mark.parametrize("anchors", [[], [[], [], []]])
def test_empty_anchors_are_refused(anchors) -> None:
    with pytest.raises(ValueError, match="anchors") as info:
        yolo(3, version="v3", anchors=anchors)
    assert "\n" not in str(info.value)


def test_v1_keeps_its_grid_defaults() -> None:
    model = yolo(3, version="v1", input_size=64, head_channels=8)
    assert (model.head.grid_size, model.head.boxes_per_cell) == (7, 2)
    model = yolo(3, version="v1", input_size=64, head_channels=8, grid_size=4, boxes_per_cell=1)
    assert (model.head.grid_size, model.head.boxes_per_cell) == (4, 1)


@pytest.mark.parametrize(("key", "value"), [("grid_size", 0), ("boxes_per_cell", 0)])
def test_v1_refuses_an_empty_grid(key, value) -> None:
    with pytest.raises(ValueError, match=f"{key} must be an integer >= 1"):
        yolo(3, version="v1", **{key: value})


@pytest.mark.parametrize(
    ("levels", "count"), [(["c4", "c5"], 2), (["c2", "c3", "c4", "c5"], 4), (["c3", "c3", "c5"], 2)]
)
def test_default_priors_on_other_level_counts_name_return_layers(levels, count) -> None:
    with pytest.raises(ValueError, match=f"return_layers give {count} backbone levels"):
        yolo(3, version="v3", return_layers=levels)


@pytest.mark.parametrize(
    "anchors",
    [
        [[10, 13], [16, 30], [33, 23]],  # one level of pairs, not one list per level
        [10, 13, 16],
        [[["w", 13]], [[16, 30]], [[33, 23]]],
    ],
)
def test_misshapen_anchors_name_anchors(anchors) -> None:
    with pytest.raises(ValueError, match="^anchors = .* list of levels of \\[width, height\\]"):
        yolo(3, version="v3", anchors=anchors)


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_non_finite_anchors_are_refused(bad) -> None:
    anchors = [[[10.0, 13.0]], [[16.0, bad]], [[33.0, 23.0]]]
    with pytest.raises(ValueError, match="anchors level 1 .* finite and > 0"):
        yolo(3, version="v3", anchors=anchors)


@pytest.mark.parametrize("version", ["v1", "v3"])
def test_input_size_zero_is_refused_not_the_default(version) -> None:
    with pytest.raises(ValueError, match="input_size must be positive, got 0"):
        yolo(3, version=version, input_size=0)


def test_empty_return_layers_are_refused_not_the_default() -> None:
    with pytest.raises(ValueError, match="return_layers is empty"):
        yolo(3, version="v3", return_layers=[])


@pytest.mark.parametrize(
    ("version", "widths"),
    [("v3", {"head_channels": 0}), ("v3", {"neck_channels": -1}), ("v1", {"head_channels": -4})],
)
def test_channel_widths_below_one_are_refused(version, widths) -> None:
    with pytest.raises(ValueError, match="head_channels must be >= 1 and neck_channels"):
        yolo(3, version=version, **widths)
