"""A segmentation table whose confusion matrix is empty says why every number is nan."""

from __future__ import annotations

import math

import torch

from detseg.engine.validation.segmentation import segmentation_table
from detseg.evaluation.segmentation import ConfusionMatrix

CLASSES = ["circle", "square"]


def metrics_of(targets: torch.Tensor, images: int) -> dict:
    matrix = ConfusionMatrix(len(CLASSES) + 1)
    matrix.update(torch.ones_like(targets), targets)  # the prediction says circle everywhere
    return {**matrix.compute(), "images": images}


def test_void_ground_truth_everywhere_is_named() -> None:
    metrics = metrics_of(torch.full((2, 8, 8), 255), images=2)
    assert math.isnan(metrics["mIoU"])
    text = segmentation_table(metrics, CLASSES)
    assert text.endswith(
        "No pixel was scored: the ground truth of the 2 image(s) is void (255) everywhere, so "
        "every number is nan; check the label maps (detseg-check-data, tools/check_data.py, "
        "counts each class's pixels)"
    )
    assert "Absent classes" not in text


def test_no_image_read_is_named() -> None:
    metrics = {**ConfusionMatrix(len(CLASSES) + 1).compute(), "images": 0}
    assert segmentation_table(metrics, CLASSES).endswith("No image was scored (none could be read)")


def test_some_absent_classes_keep_their_line() -> None:
    targets = torch.zeros((1, 8, 8), dtype=torch.int64)
    targets[0, :4] = 1
    text = segmentation_table(metrics_of(targets, images=1), CLASSES)
    assert text.endswith("left out of every mean): square")
