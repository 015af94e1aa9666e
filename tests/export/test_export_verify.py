"""What ``verify_export`` checks and how its report reads: the sizes it tries, and the warning of a
detector's check that compared no detection (it passes, but shows nothing about boxes)."""

from __future__ import annotations

import dataclasses

import pytest

from detseg.export import export_model, verification_images, verify_export
from detseg.export.comparison import DetectionComparison


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
        "anything above the score threshold 1 on the 3 check images), so this check is weak: "
        "it does not show that boxes and scores match (a lower score threshold, --score-thr, "
        "gives detections to compare)"
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
    assert "ties at the detection limit or the score threshold" in warning
    assert "--score-thr" not in warning
    assert warning.endswith(
        "(a trained checkpoint, whose scores differ, gives detections to compare)"
    )
