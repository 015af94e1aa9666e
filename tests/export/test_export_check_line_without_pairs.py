"""A check line of an image on which no detection was paired has no box or score differences
to report: it says "no pairs" (n/a), not "max box diff 0.00e+00 ... max score diff 0.00e+00",
which read as a perfect match of boxes that were never compared."""

from __future__ import annotations

from types import SimpleNamespace

from detseg.export import Tolerance
from detseg.export.comparison import DetectionComparison
from detseg.export.verify import VerificationReport


def _line(comparison: DetectionComparison) -> str:
    result = SimpleNamespace(format="ONNX", task="detection", score_thresh=0.01)
    report = VerificationReport(
        result=result,  # type: ignore[arg-type]
        tolerance=Tolerance(),
        shapes=((1, 3, 64, 64),),
        comparisons=(comparison,),
    )
    return next(line for line in report.lines() if line.startswith("  ["))


def _comparison(paired: int, unmatched: int, at_cut: int) -> DetectionComparison:
    return DetectionComparison(
        count=2,
        reference_count=2,
        paired=paired,
        unmatched=unmatched,
        at_cut=at_cut,
        max_box_diff=0.0,
        max_score_diff=0.0,
        box_tolerance=0.064,
    )


def test_a_line_without_pairs_says_no_pairs():
    line = _line(_comparison(paired=0, unmatched=4, at_cut=4))
    assert "no pairs" in line and "n/a" in line, line
    assert "max box diff" not in line and "max score diff" not in line, line
    assert line.endswith(": ok"), line


def test_a_failed_line_without_pairs_says_no_pairs():
    line = _line(_comparison(paired=0, unmatched=4, at_cut=0))
    assert "no pairs" in line and "max box diff" not in line and line.endswith(": FAILED")


def test_a_line_with_pairs_gives_the_maxima():
    line = _line(_comparison(paired=2, unmatched=0, at_cut=0))
    assert "max box diff 0.00e+00 px" in line and "max score diff" in line, line
    assert "no pairs" not in line
