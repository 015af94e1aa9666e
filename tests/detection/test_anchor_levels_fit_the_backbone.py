"""``anchor_sizes`` / ``aspect_ratios`` that do not fit the backbone's feature levels are
refused when the model is built, naming ``anchor_sizes``: another level count (which failed
at the first call with "got 5 feature maps but the generator has 1 levels") and levels with
other anchor counts per location (a ``split_with_sizes`` ``RuntimeError`` in the head)."""

import pytest

from detseg.models import build_model

SMALL = {"backbone": "mobilenet_v3_large", "width_mult": 0.25, "min_size": 64, "max_size": 64}


@pytest.mark.parametrize("name", ["faster_rcnn", "retinanet"])
def test_another_level_count_is_refused(name) -> None:
    with pytest.raises(ValueError, match=r"^anchor_sizes has 1 levels but the backbone gives"):
        build_model({"name": name, **SMALL, "anchor_sizes": [[32]]}, num_classes=2)


@pytest.mark.parametrize("name", ["faster_rcnn", "retinanet"])
def test_other_anchor_counts_per_level_are_refused(name) -> None:
    levels = 3 if name == "faster_rcnn" else 5
    sizes = [[32, 64]] * (levels - 1) + [[32]]
    with pytest.raises(ValueError, match=r"give \[2, 2, .*1\] anchors per location"):
        build_model(
            {"name": name, **SMALL, "anchor_sizes": sizes, "aspect_ratios": [[1.0]] * levels},
            num_classes=2,
        )


def test_anchors_that_fit_build() -> None:
    sizes = [[16, 32]] * 5
    model = build_model({"name": "retinanet", **SMALL, "anchor_sizes": sizes}, num_classes=2)
    assert model.anchor_generator.num_anchors_per_location() == [6] * 5
