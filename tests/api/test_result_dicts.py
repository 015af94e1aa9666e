"""Both kinds of result give ``to_dict()``, plain JSON types: a service that returns a
prediction as JSON calls it whatever the checkpoint, and a video's ``.jsonl`` records of a
segmenter hold the same class shares."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from detseg.api import DetectionResult, SegmentationResult
from detseg.api.video_outputs import frame_record


def _segmentation() -> SegmentationResult:
    mask = torch.zeros(4, 8, dtype=torch.int64)
    mask[:, :2] = 2  # a quarter of the pixels: class 2, "square"
    mask[0, 7] = 1  # one pixel of 32: class 1, "circle"
    return SegmentationResult(
        mask=mask,
        probabilities=torch.full((3, 4, 8), 1 / 3),
        classes=["circle", "square"],
        image=np.zeros((4, 8, 3), np.uint8),
        frame=3,
        time=0.12,
    )


def test_a_segmentation_result_gives_its_size_and_class_shares():
    found = _segmentation().to_dict()
    assert json.loads(json.dumps(found)) == found
    assert found == {
        "width": 8,
        "height": 4,
        "classes": {"background": 0.71875, "square": 0.25, "circle": 0.03125},
    }
    assert list(found["classes"]) == ["background", "square", "circle"]  # largest first
    assert frame_record(_segmentation())["classes"] == found["classes"]


def test_both_results_give_json_of_plain_types():
    detections = DetectionResult(
        boxes=torch.tensor([[1.0, 2.0, 5.0, 7.0]]),
        scores=torch.tensor([0.75]),
        labels=torch.tensor([2]),
        classes=["circle", "square"],
        image=np.zeros((8, 8, 3), np.uint8),
    )
    for result in (detections, _segmentation()):
        text = json.dumps(result.to_dict())
        assert json.loads(text) == result.to_dict()
    assert detections.to_dict()["names"] == ["square"]
    assert _segmentation().to_dict()["classes"]["square"] == pytest.approx(0.25)
