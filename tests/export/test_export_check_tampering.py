"""The export check fails a file whose detections differ from the model's in the ways a broken
export differs: scores scaled by 0.9, a detection dropped, boxes shifted by 2 px; it passes the
honest file. The file's outputs are tampered with between the runtime and the comparison."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from detseg.export import Tolerance, export_model
from detseg.export.comparison import compare_detections

from .conftest import verify_tampered


def _scaled(outputs: list[Tensor]) -> list[Tensor]:
    boxes, scores, labels = outputs
    return [boxes, scores * 0.9, labels]


def _dropped(outputs: list[Tensor]) -> list[Tensor]:
    return [output[1:] for output in outputs]  # the best-scoring detection is gone


def _shifted(outputs: list[Tensor]) -> list[Tensor]:
    boxes, scores, labels = outputs
    return [boxes + 2.0, scores, labels]


@pytest.fixture(scope="module")
def retinanet_export(tiny_model, tmp_path_factory):
    """A TorchScript RetinaNet whose scores spread over 1e-3 .. 1 (random head weights)."""
    path = tmp_path_factory.mktemp("tampering") / "retinanet.pt"
    return export_model(tiny_model("retinanet"), path, format="torchscript", score_thresh=0.05)


def test_the_honest_file_passes_with_detections_compared(retinanet_export, monkeypatch):
    report = verify_tampered(retinanet_export, monkeypatch, None)
    assert report.passed and report.detections_compared > 0, report.lines()


@pytest.mark.parametrize("tamper", [_scaled, _dropped, _shifted], ids=["x0.9", "drop", "+2px"])
def test_a_tampered_file_fails(retinanet_export, monkeypatch, tamper):
    report = verify_tampered(retinanet_export, monkeypatch, tamper)
    assert not report.passed, report.lines()
    assert "does NOT match" in report.lines()[-1]


def _one(box: list[float], score: float) -> tuple[Tensor, Tensor, Tensor]:
    return torch.tensor([box]), torch.tensor([score]), torch.tensor([1])


def test_scores_are_compared_relatively_as_well_as_absolutely():
    """A score 0.9 x the model's fails below 0.01, where 1e-3 alone lets it pass; honest
    rounding passes at every magnitude, and noise-level scores are within the floor."""
    box = [10.0, 10.0, 50.0, 50.0]
    for score in (0.005, 0.02, 0.5):
        reference = dict(zip(("boxes", "scores", "labels"), _one(box, score), strict=True))
        scaled = compare_detections(_one(box, 0.9 * score), reference, (100, 100), Tolerance())
        assert not scaled.passed, score
        honest = compare_detections(
            _one(box, score * (1 + 1e-6)), reference, (100, 100), Tolerance()
        )
        assert honest.passed and honest.paired == 1, score
    tiny = dict(zip(("boxes", "scores", "labels"), _one(box, 1e-9), strict=True))
    assert compare_detections(_one(box, 3e-9), tiny, (100, 100), Tolerance()).passed
    assert Tolerance().describe_scores() == (
        "scores within 1% of the PyTorch score (at most 0.001, at least 1e-06)"
    )
