"""Every detector's boxes lie inside their input image, ``0 <= x1 <= x2 <= W`` and
``0 <= y1 <= y2 <= H``, to the last bit: boxes clipped to the resized image and mapped back
with float32 ratios overshoot the border by an ulp on some sizes (``y2 = 57.0000038`` on a
57 x 500 image resized to 7 x 64), which each ``predict`` clips again."""

from __future__ import annotations

import pytest
import torch

from detseg.detection.transform import resize_boxes
from detseg.models import build_model

SECTIONS = {
    "faster_rcnn": {"name": "faster_rcnn", "backbone": "resnet18", "fpn": False},
    "mask_rcnn": {"name": "mask_rcnn", "backbone": "resnet18", "fpn": False},
    "retinanet": {"name": "retinanet", "backbone": "resnet18"},
    "yolov3": {"name": "yolov3_resnet18", "input_size": 64},
}
HEIGHT, WIDTH = 57, 500


def test_mapping_back_overshoots_on_this_size():
    """The case the clipping is for: the resized image's full box maps past the border."""
    resized = (7, 64)  # 57 x 500 with min_size = max_size = 64
    back = resize_boxes(torch.tensor([[0.0, 0.0, 64.0, 7.0]]), resized, (HEIGHT, WIDTH))
    assert back[0, 3] > HEIGHT


@pytest.mark.parametrize("family", sorted(SECTIONS))
def test_boxes_never_pass_the_border(family):
    section = dict(SECTIONS[family])
    if "input_size" not in section:
        section.update(min_size=64, max_size=64)
    torch.manual_seed(0)
    model = build_model(section, num_classes=3).eval()
    model.score_thresh = 0.0
    with torch.no_grad():
        (det,) = model([torch.rand(3, HEIGHT, WIDTH)])
    boxes = det["boxes"]
    assert len(boxes) > 0
    assert bool((boxes >= 0).all())
    assert float(boxes[:, 2].max()) <= WIDTH and float(boxes[:, 3].max()) <= HEIGHT
    assert bool((boxes[:, :2] <= boxes[:, 2:]).all())
