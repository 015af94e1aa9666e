"""A target box lying wholly outside its image is refused by every detector's ``losses`` in one
line naming the image, the box and the image size: no anchor or proposal inside the image can
match it, and its box loss grew without bound (SSDlite's 6 became 86). The dataset readers drop
such boxes; a hand-written loop gets the error."""

from __future__ import annotations

import pytest
import torch

from detseg.detection.validation import check_targets
from detseg.models import build_model

SECTIONS = {
    "faster_rcnn": {"name": "faster_rcnn", "backbone": "resnet18", "fpn": False},
    "retinanet": {"name": "retinanet", "backbone": "resnet18"},
    "ssdlite": {"name": "ssdlite320_mobilenet_v3_large", "size": 64, "width_mult": 0.25},
    "yolov3": {"name": "yolov3_resnet18", "input_size": 64},
}


def _target(box: list[float]) -> dict[str, torch.Tensor]:
    return {"boxes": torch.tensor([[4.0, 6.0, 40.0, 50.0], box]), "labels": torch.tensor([1, 2])}


@pytest.mark.parametrize("family", sorted(SECTIONS))
def test_losses_refuse_a_box_outside_the_image(family):
    section = dict(SECTIONS[family])
    if family in ("faster_rcnn", "retinanet"):
        section.update(min_size=64, max_size=64)
    torch.manual_seed(0)
    model = build_model(section, num_classes=3).train()
    images = [torch.rand(3, 64, 80), torch.rand(3, 64, 80)]
    inside = _target([60.0, 10.0, 120.0, 50.0])  # reaches out, but overlaps the image
    outside = _target([200.0, 10.0, 260.0, 50.0])
    losses = model.losses(images, [inside, inside])
    assert all(bool(torch.isfinite(v)) for v in losses.values())
    with pytest.raises(ValueError) as info:
        model.losses(images, [inside, outside])
    assert str(info.value) == (
        "image 1: box 1 [200.0, 10.0, 260.0, 50.0] lies outside the 80x64 image (xyxy pixels "
        "of the input image); clip it to the image or drop it in the dataset"
    )


@pytest.mark.parametrize(
    ("box", "outside"),
    [
        ([80.0, 0.0, 90.0, 10.0], True),  # starts at the right edge
        ([0.0, 64.0, 10.0, 70.0], True),  # starts at the bottom edge
        ([-10.0, 0.0, 0.0, 10.0], True),  # ends at the left edge
        ([0.0, -10.0, 10.0, 0.0], True),  # ends at the top edge
        ([79.0, 63.0, 90.0, 70.0], False),  # one pixel inside
    ],
)
def test_the_edges(box, outside):
    targets = [{"boxes": torch.tensor([box]), "labels": torch.tensor([1])}]
    if outside:
        with pytest.raises(ValueError, match="lies outside the 80x64 image"):
            check_targets(targets, 1, 3, [(64, 80)])
    else:
        check_targets(targets, 1, 3, [(64, 80)])
    check_targets(targets, 1, 3)  # no sizes: not checked
