"""Results compare by identity and are hashable, so the list operations a user runs on
``predict``'s list work: ``results.index(r)``, ``r in results``, ``results.remove(r)``, a set
of results. A field-by-field ``==`` would ask a tensor of several values for its truth and
raise torch's ``RuntimeError: Boolean value of Tensor ... is ambiguous``."""

from __future__ import annotations

import numpy as np
import torch

from detseg.api import DetectionResult, SegmentationResult


def _detections(score: float) -> DetectionResult:
    return DetectionResult(
        boxes=torch.tensor([[1.0, 2.0, 5.0, 7.0], [0.0, 0.0, 3.0, 3.0]]),
        scores=torch.tensor([score, 0.5]),
        labels=torch.tensor([1, 2]),
        classes=["circle", "square"],
        image=np.zeros((8, 8, 3), np.uint8),
    )


def _label_map(value: int) -> SegmentationResult:
    return SegmentationResult(
        mask=torch.full((4, 4), value, dtype=torch.int64),
        probabilities=torch.full((3, 4, 4), 1 / 3),
        classes=["circle", "square"],
        image=np.zeros((4, 4, 3), np.uint8),
    )


def test_list_operations_on_results_work():
    for make in (_detections, _label_map):
        results = [make(1), make(1), make(2)]  # equal fields, still three results
        assert results.index(results[1]) == 1
        assert results[2] in results and make(1) not in results
        results.remove(results[0])
        assert len(results) == 2
        assert len({*results, results[0]}) == 2  # hashable
        assert results[0] == results[0] and results[0] != results[1]
