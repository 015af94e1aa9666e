"""A segmentation result's repr never shows a class present on a few pixels as ``0%`` (nor the
class around it as ``100%``); a detection result's repr counts boxes, with no rounding."""

from __future__ import annotations

import numpy as np
import torch

from detseg.api.results import DetectionResult, SegmentationResult


def _segmentation(mask: torch.Tensor) -> SegmentationResult:
    classes = ["circle", "hexagon"]
    height, width = mask.shape
    probabilities = torch.zeros(len(classes) + 1, height, width)
    image = np.zeros((height, width, 3), np.uint8)
    return SegmentationResult(mask, probabilities, classes, image)


def test_a_class_on_a_few_pixels_reads_under_one_percent():
    mask = torch.zeros(100, 100, dtype=torch.int64)
    mask[:50] = 1  # circle: 50 %
    mask[99, :3] = 2  # hexagon: 3 pixels of 10000, 0.03 %
    text = repr(_segmentation(mask))
    assert "hexagon <1%" in text, text
    assert "hexagon 0%" not in text
    assert "circle 50%" in text and "background 50%" in text


def test_a_class_on_nearly_every_pixel_reads_over_99_percent():
    mask = torch.ones(100, 100, dtype=torch.int64)
    mask[0, :2] = 2  # hexagon: 0.02 %, circle: 99.98 %
    text = repr(_segmentation(mask))
    assert "circle >99%" in text and "hexagon <1%" in text, text
    only = repr(_segmentation(torch.ones(10, 10, dtype=torch.int64)))
    assert "circle 100%" in only, only


def test_a_detection_repr_counts_boxes_without_rounding():
    result = DetectionResult(
        boxes=torch.tensor([[0.0, 0.0, 4.0, 4.0], [1.0, 1.0, 2.0, 2.0]]),
        scores=torch.tensor([0.9, 0.001]),
        labels=torch.tensor([1, 2]),
        classes=["circle", "hexagon"],
        image=np.zeros((8, 8, 3), np.uint8),
    )
    assert repr(result) == "DetectionResult(2 boxes: 1 circle, 1 hexagon)"
