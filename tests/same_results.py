"""``assert_same_results(a, b)``: two prediction results of one image are equal (type, path,
pixels, and the detections or the label map with its probabilities)."""

from __future__ import annotations

import numpy as np
import torch

from detseg.api import DetectionResult


def assert_same_results(a, b) -> None:
    assert type(a) is type(b) and a.path == b.path
    assert np.array_equal(a.image, b.image)
    if isinstance(a, DetectionResult):
        assert torch.equal(a.labels, b.labels) and torch.equal(a.boxes, b.boxes)
        assert torch.equal(a.scores, b.scores)
    else:
        assert torch.equal(a.mask, b.mask) and torch.equal(a.probabilities, b.probabilities)
