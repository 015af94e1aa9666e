"""The warning of a detector's check that compared no detection gives advice that can be
followed: a lower ``--score-thr`` only where the threshold is above 0, and, after a check on
random noise (where a trained detector detects nothing), images with objects. The advice names
the settings as the caller has them: ``tools/export.py``'s flags (``report.lines(flags)``), or
from Python ``export_model``'s and ``verify_export``'s keywords."""

from __future__ import annotations

from stub_export_results import stub_export_result

from detseg.export import Tolerance, VerificationReport
from detseg.export.comparison import DetectionComparison

EMPTY = DetectionComparison(0, 0, 0, 0, 0, 0.0, 0.0, 0.1)

#: tools/export.py's flags of the settings the advice names.
FLAGS = {"score_thresh": "--score-thr", "image_paths": "--verify-images"}


REAL_IMAGES = (
    "images with objects give a trained detector detections to compare: --verify-images PATH, "
    "or a checkpoint whose config's val split is readable from here"
)


def report(score_thresh: float, images: str = "random-noise check images") -> VerificationReport:
    result = stub_export_result(score_thresh=score_thresh)
    shapes = ((1, 3, 96, 96),) * 2
    return VerificationReport(result, Tolerance(), shapes, (EMPTY, EMPTY), images)


def test_a_threshold_of_zero_is_not_advised_lower():
    warning = report(0.0).lines(FLAGS)[-1]
    assert "above the score threshold 0 on the 2 random-noise check images" in warning
    assert "--score-thr" not in warning
    assert warning.endswith(f"({REAL_IMAGES})")
    on_images = report(0.0, "val-split images").lines(FLAGS)[-1]
    assert "above the score threshold 0 on the 2 val-split images" in on_images
    assert on_images.endswith(
        "(a trained checkpoint, which detects objects, gives detections to compare)"
    )


def test_a_threshold_above_zero_is_advised_lower():
    warning = report(0.5).lines(FLAGS)[-1]
    assert "above the score threshold 0.5 on the 2 random-noise check images" in warning
    assert warning.endswith(
        f"({REAL_IMAGES}; so does a copy exported with a lower score threshold, e.g. "
        "--score-thr 0.01 (it is built into the file))"
    )
    on_images = report(0.5, "given images").lines(FLAGS)[-1]
    assert on_images.endswith(
        "(a copy exported with a lower score threshold, e.g. --score-thr 0.01 (it is built into "
        "the file), or a trained checkpoint gives detections to compare)"
    )


def test_from_python_the_advice_names_the_keywords():
    warning = report(0.5).lines()[-1]
    assert warning.endswith(
        "(images with objects give a trained detector detections to compare: verify_export's "
        "image_paths, or a checkpoint whose config's val split is readable from here; so does a "
        "copy exported with a lower score threshold, e.g. score_thresh=0.01 (it is built into "
        "the file))"
    )
    assert "--" not in warning
    low = report(0.005, "given images").lines()[-1]
    assert "e.g. score_thresh=0 (it is built into the file)" in low
    assert "e.g. --score-thr 0 (it is built" in report(0.005, "given images").lines(FLAGS)[-1]
