"""A detector on an image so thin that its resize would leave no row (torchvision's transform
fails there): the image keeps one row, and the boxes stay inside the image."""

from __future__ import annotations

import torch

from detseg.models import build_model


def test_a_thin_strip_is_resized_to_one_row_and_detected():
    torch.manual_seed(0)
    model = build_model(
        {
            "name": "faster_rcnn",
            "backbone": "mobilenet_v3_large",
            "fpn": True,
            "min_size": 64,
            "max_size": 128,
            "roi_heads": {"score_thresh": 0.0},
        },
        num_classes=3,
    ).eval()
    strip = torch.rand(3, 2, 300)  # scale 128 / 300: 0.85 rows
    with torch.no_grad():
        (found,) = model.predict([strip])
    boxes = found["boxes"]
    assert len(boxes) > 0
    assert bool((boxes[:, [0, 2]] <= 300).all() and (boxes[:, [1, 3]] <= 2).all())
    assert bool((boxes >= 0).all())
