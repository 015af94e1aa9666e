"""Detector layer widths below 1 are refused when the model is built, naming the setting: a
0-channel FPN failed at the first call with a convolution ``RuntimeError`` (a negative one
when built) and a 0-wide box head gave a model whose box classifier saw no features."""

import pytest

from detseg.models import build_model

SMALL = {"backbone": "mobilenet_v3_large", "width_mult": 0.25, "min_size": 64, "max_size": 64}


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [
        ("faster_rcnn", "fpn_channels", 0),
        ("faster_rcnn", "fpn_channels", -1),
        ("faster_rcnn", "representation_size", 0),
        ("retinanet", "fpn_channels", 0),
    ],
)
def test_widths_below_one_are_refused(name, key, value) -> None:
    with pytest.raises(ValueError, match=rf"^{key} must be >= 1 \(channels of a layer\), got"):
        build_model({"name": name, **SMALL, key: value}, num_classes=2)


@pytest.mark.parametrize(
    ("key", "value", "named"),
    [("mask_dim_reduced", 0, "mask_dim_reduced"), ("mask_layers", [8, 0], r"mask_layers\[1\]")],
)
def test_mask_head_widths_below_one_are_refused(key, value, named) -> None:
    with pytest.raises(ValueError, match=rf"^{named} must be >= 1 \(channels of a layer\)"):
        build_model({"name": "mask_rcnn", **SMALL, key: value}, num_classes=2)
