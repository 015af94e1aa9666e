"""A two-stage detector's check has no candidates (:mod:`detseg.export.candidate_detections`):
an exported detection near the score threshold is excused at the cut without any check of its
box, score or label, so a file with wrong boxes and labels there passed with nothing said. The
comparison now counts such detections and the check line says how many were not checked."""

from __future__ import annotations

from types import SimpleNamespace

import torch

from detseg.export import Tolerance
from detseg.export.comparison import compare_detections
from detseg.export.verify import VerificationReport

REFERENCE = {
    "boxes": torch.tensor([[10.0, 10, 30, 30], [50.0, 50, 70, 70]]),
    "scores": torch.tensor([0.9, 0.0105]),
    "labels": torch.tensor([1, 1]),
}
# the first pairs; the others, wrong box and label, score just above the threshold 0.01
EXPORTED = (
    torch.tensor([[10.0, 10, 30, 30], [0.0, 0, 5, 5], [80.0, 80, 90, 90]]),
    torch.tensor([0.9, 0.0105, 0.0108]),
    torch.tensor([1, 2, 3]),
)


def _compare(candidates=None):
    return compare_detections(
        EXPORTED,
        REFERENCE,
        (100, 100),
        Tolerance(),
        score_thresh=0.01,
        limit=100,
        nms_thresh=0.5,
        candidates=candidates,
    )


def test_detections_excused_without_candidates_are_counted_and_reported():
    comparison = _compare()
    assert comparison.paired == 1 and comparison.unchecked == 2, comparison
    report = VerificationReport(
        result=SimpleNamespace(format="ONNX", task="detection", score_thresh=0.01),  # type: ignore[arg-type]
        tolerance=Tolerance(),
        shapes=((1, 3, 100, 100),),
        comparisons=(comparison,),
    )
    line = next(line for line in report.lines() if line.startswith("  ["))
    assert "2 of the file's excused without a value check" in line, line


def test_with_candidates_nothing_is_unchecked():
    candidates = {k: v.clone() for k, v in REFERENCE.items()}
    comparison = _compare(candidates)
    assert comparison.unchecked == 0 and not comparison.passed
