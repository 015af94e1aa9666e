"""What ``verify_export`` checks and how its report reads: the sizes it tries, and the warning of a
detector's check that compared no detection (it passes, but shows nothing about boxes)."""

from __future__ import annotations

import dataclasses

import pytest

from detseg.export import export_model, verification_images, verify_export
from detseg.export.comparison import DetectionComparison, Tolerance
from detseg.export.verify import VerificationReport


@pytest.fixture(scope="module")
def torchscript_export(tiny_model, tmp_path_factory):
    """The tiny Faster R-CNN as TorchScript (onnxruntime is not needed to check it)."""
    path = tmp_path_factory.mktemp("verify") / "faster_rcnn.pt"
    return export_model(tiny_model("faster_rcnn"), path, format="torchscript", dynamic=True)


def test_dynamic_checks_include_half_the_export_size(torchscript_export):
    sizes = [tuple(image.shape) for image in verification_images(torchscript_export)]
    assert sizes == [(1, 3, 96, 96), (1, 3, 73, 96), (1, 3, 96, 123), (1, 3, 48, 48)]
    static = dataclasses.replace(torchscript_export, dynamic=False, input_size=(64, 80))
    assert {tuple(image.shape) for image in verification_images(static)} == {(1, 3, 64, 80)}


def test_a_check_with_detections_ends_with_the_verdict(torchscript_export):
    report = verify_export(torchscript_export)
    assert report.passed and report.detections_compared > 0
    assert report.lines()[-1].startswith("torchscript export matches the PyTorch model")


def test_a_check_without_detections_warns_that_it_is_weak(tiny_model, tmp_path):
    result = export_model(
        tiny_model("faster_rcnn"), tmp_path / "f.pt", format="torchscript", score_thresh=1.0
    )
    report = verify_export(result)
    assert report.passed and report.detections_compared == 0
    lines = report.lines()
    assert lines[-2].startswith("torchscript export matches the PyTorch model")
    assert lines[-1] == (
        "warning: no detection was compared (neither the file nor the PyTorch model detected "
        "anything above the score threshold 1 on the 3 random-noise check images), so this "
        "check is weak: it does not show that boxes and scores match (images with objects "
        "give a trained detector detections to compare: verify_export's image_paths, or a "
        "checkpoint whose config's val split is readable from here; so does a copy exported "
        "with a lower score threshold, e.g. score_thresh=0.01 (it is built into the file))"
    )


def test_a_failed_check_is_not_called_weak(torchscript_export):
    report = verify_export(torchscript_export)
    unpaired = DetectionComparison(
        count=5,
        reference_count=0,
        paired=0,
        unmatched=5,
        at_cut=0,
        max_box_diff=0.0,
        max_score_diff=0.0,
        box_tolerance=0.1,
    )
    failed = dataclasses.replace(report, comparisons=(unpaired,) * len(report.shapes))
    assert not failed.passed and failed.detections_compared == 0
    assert failed.lines()[-1].startswith("torchscript export does NOT match the PyTorch model")


def test_a_check_of_ties_only_does_not_advise_a_lower_threshold(torchscript_export):
    report = verify_export(torchscript_export)
    tied = DetectionComparison(
        count=4,
        reference_count=4,
        paired=0,
        unmatched=8,
        at_cut=8,
        max_box_diff=0.0,
        max_score_diff=0.0,
        box_tolerance=0.1,
    )
    ties = dataclasses.replace(report, comparisons=(tied,) * len(report.shapes))
    assert ties.passed and ties.detections_compared == 0
    warning = ties.lines()[-1]
    assert warning.startswith("warning: no detection was compared (no exported detection was")
    assert "32 within 0.001 of the score threshold or of the lowest score kept at" in warning
    assert "equal scores" not in warning
    assert "--score-thr" not in warning and "score_thresh" not in warning
    assert warning.endswith(
        "(images with objects give a trained detector detections to compare: verify_export's "
        "image_paths, or a checkpoint whose config's val split is readable from here; a trained "
        "checkpoint, whose scores differ, gives detections to compare on such images)"
    )


def _report_of(result, comparison: DetectionComparison) -> VerificationReport:
    """A report of ``result`` whose every check image gave ``comparison`` (nothing is run)."""
    shapes = ((1, 3, 96, 96),) * 3
    return VerificationReport(result, Tolerance(), shapes, (comparison,) * 3)


def _unpaired(count: int, at_cut: int = 0, tied: int = 0) -> DetectionComparison:
    """``count`` detections in each list, none paired; ``at_cut`` and ``tied`` of them excused."""
    return DetectionComparison(
        count=count,
        reference_count=count,
        paired=0,
        unmatched=2 * count,
        at_cut=at_cut,
        max_box_diff=0.0,
        max_score_diff=0.0,
        box_tolerance=0.1,
        tied=tied,
    )


def test_a_check_of_equal_score_ties_says_so(torchscript_export):
    report = _report_of(torchscript_export, _unpaired(3, tied=6))
    assert report.passed and report.detections_compared == 0
    warning = report.lines()[-1]
    assert "every detection lies where each runtime may keep other boxes, 18 among exactly " in (
        warning
    )
    assert "detection limit" not in warning and "score threshold" not in warning
    report = _report_of(torchscript_export, _unpaired(3, at_cut=4, tied=2))
    both = "12 within 0.001 of the score threshold or of the lowest score kept at the detection "
    assert both + "limit and 6 among exactly equal scores" in report.lines()[-1]


def test_a_threshold_that_kept_nothing_gives_one_line_of_advice(torchscript_export):
    low = dataclasses.replace(torchscript_export, score_thresh=0.005)
    report = _report_of(low, _unpaired(0))
    lines = report.lines()
    assert len(lines) == 3 + 2  # a line per image, the verdict, one warning line
    assert "above the score threshold 0.005 on the 3 random-noise check images" in lines[-1]
    assert "e.g. score_thresh=0 (it is built into the file))" in lines[-1]
    zero = dataclasses.replace(torchscript_export, score_thresh=0.0)
    advice = "or a checkpoint whose config's val split is readable from here)"
    assert _report_of(zero, _unpaired(0)).lines()[-1].endswith(advice)
