"""The export check of a detector whose scores all tie (an untrained SSD300 after one step
scores every box 1.0): which of the tied boxes each runtime keeps at the detection limit is
open, so those are excused at the cut, but an excused detection must still be one of the
model's candidates (:mod:`detseg.export.candidate_detections`). The honest ONNX file passes;
files whose boxes are shifted, labels changed or scores scaled fail, where before every one of
their detections was excused at the cut and they passed. So do an empty file (the model's
detections were excused at the limit although the file's list, short, cut nothing) and files
repeating candidate boxes (each one of the candidates, but two boxes of one label overlapping
more than NMS lets through)."""

from __future__ import annotations

import dataclasses

import pytest
import torch
from torch import nn

from detseg.export import export_model

from .conftest import build_tiny, verify_tampered

pytest.importorskip("onnxruntime")


def _saturated_ssdlite() -> nn.Module:
    """A tiny SSDlite whose every box scores label 1 at exactly 1.0, kept 30 per image."""
    model = build_tiny("ssdlite")
    classes = model.num_classes + 1
    with torch.no_grad():
        for level in model.head.cls_logits:
            last = [m for m in level.modules() if isinstance(m, nn.Conv2d)][-1]
            last.bias.zero_()
            last.bias[1::classes] = 40.0  # softmax of label 1: 1.0 in float32
    model.config = dataclasses.replace(model.config, detections_per_img=30)
    return model


@pytest.fixture(scope="module")
def tied_export(tmp_path_factory):
    path = tmp_path_factory.mktemp("tied") / "ssdlite.onnx"
    result = export_model(_saturated_ssdlite(), path, score_thresh=0.01)
    image = torch.rand(3, 96, 96, generator=torch.Generator().manual_seed(0))
    scores = result.model.predict([image])[0]["scores"]
    assert len(scores) == 30 and bool((scores == 1.0).all())  # every kept box ties
    return result


def test_the_honest_file_passes(tied_export, monkeypatch):
    report = verify_tampered(tied_export, monkeypatch, None)
    assert report.passed, "\n".join(report.lines())


def _first_half_doubled(outputs: list[torch.Tensor]) -> list[torch.Tensor]:
    """The first 15 of the 30 detections, each twice: as many as the model's."""
    return [torch.cat([output[:15], output[:15]]) for output in outputs]


OVERLAP = "overlapping another of their label by more than the NMS IoU threshold"

TAMPERS = {
    "+2px": lambda outputs: [outputs[0] + 2.0, outputs[1], outputs[2]],
    "label": lambda outputs: [outputs[0], outputs[1], outputs[2] % 3 + 1],
    "x0.9": lambda outputs: [outputs[0], outputs[1] * 0.9, outputs[2]],
    # every candidate ties at the limit, but an empty list cut nothing at it
    "empty": lambda outputs: [output[:0] for output in outputs],
    # each repeated box is a candidate, but NMS keeps no two boxes of one label that overlap
    "one box x30": lambda outputs: [output[:1].repeat_interleave(30, 0) for output in outputs],
    "first half doubled": _first_half_doubled,
}

#: What the report's line of each image says of the file, where the test looks for it.
REASONS = {
    "empty": "0 detections (PyTorch 30), 30 unmatched, ",
    "one box x30": f"30 {OVERLAP}",
    "first half doubled": f"30 {OVERLAP}",
}


@pytest.mark.parametrize("name", list(TAMPERS))
def test_a_tampered_file_fails(tied_export, monkeypatch, name):
    report = verify_tampered(tied_export, monkeypatch, TAMPERS[name])
    lines = report.lines()
    assert not report.passed, "\n".join(lines)
    assert "does NOT match" in lines[-1]
    if name in REASONS:
        images = [line for line in lines if line.startswith("  [")]
        assert images and all(REASONS[name] in line for line in images), "\n".join(lines)
        assert all(line.endswith(": FAILED") for line in images), "\n".join(lines)
