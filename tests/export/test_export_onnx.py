"""ONNX export of every model family, run by onnxruntime against the PyTorch model.

Each test exports a tiny random model (``tiny_model`` of conftest.py) and checks the file with
``verify_export``: three input sizes with ``dynamic=True`` (a batch of two among them for the
segmenters), every detection paired with one of the model's (same label, boxes within 1e-3 of
the longer image side, scores within 1e-3), logits within 1e-4 of their scale.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from detseg.export import ExportError, Tolerance, export_model, verify_export
from detseg.export.comparison import DetectionComparison

ort = pytest.importorskip("onnxruntime")

DETECTORS = ["faster_rcnn", "retinanet", "ssdlite", "yolov3", "yolov1"]
SEGMENTERS = ["unet", "deeplabv3"]


def _check(report):
    assert report.passed, "\n".join(report.lines())


@pytest.mark.parametrize("family", DETECTORS)
def test_detector_onnx_matches_predict(tiny_model, family, tmp_path):
    result = export_model(tiny_model(family), tmp_path / f"{family}.onnx", dynamic=True)
    report = verify_export(result)
    _check(report)
    assert [shape[-2:] for shape in report.shapes] == [(96, 96), (73, 96), (96, 123)]
    for comparison in report.comparisons:
        assert isinstance(comparison, DetectionComparison)
        assert comparison.count > 0, "no detections to compare: lower the score threshold"


@pytest.mark.parametrize("family", SEGMENTERS)
def test_segmenter_onnx_matches_forward_with_free_batch_and_size(tiny_model, family, tmp_path):
    result = export_model(
        tiny_model(family), tmp_path / f"{family}.onnx", dynamic=True, input_size=(64, 80)
    )
    report = verify_export(result)
    _check(report)
    assert [shape[0] for shape in report.shapes] == [1, 2, 1]
    sidecar = json.loads(result.sidecar.read_text())
    assert sidecar["input"]["shape"] == ["batch", 3, "height", "width"]
    assert sidecar["outputs"][0]["shape"] == ["batch", 4, "height", "width"]
    assert sidecar["classes"] == ["class_1", "class_2", "class_3"] and sidecar["opset"] == 18


def test_detector_sidecar_describes_input_outputs_and_threshold(tiny_model, tmp_path):
    result = export_model(
        tiny_model("retinanet"), tmp_path / "r.onnx", dynamic=True, score_thresh=0.2
    )
    sidecar = json.loads((tmp_path / "r.onnx.json").read_text())
    assert sidecar["model"] == "RetinaNet" and sidecar["task"] == "detection"
    assert sidecar["score_thresh"] == pytest.approx(0.2) == result.score_thresh
    assert sidecar["input"]["shape"] == [1, 3, "height", "width"]
    assert [o["name"] for o in sidecar["outputs"]] == ["boxes", "scores", "labels"]
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    image = torch.rand(1, 3, 90, 70, generator=torch.Generator().manual_seed(3)).numpy()
    boxes, scores, labels = session.run(None, {"images": image})
    assert boxes.shape == (len(scores), 4) and labels.dtype == np.int64
    assert len(scores) > 0 and (scores > 0.2).all() and (np.diff(scores) <= 0).all()
    assert (boxes[:, 2] <= 70).all() and (boxes[:, 3] <= 90).all()
    assert tiny_model("retinanet").score_thresh == 0.0, "the caller's model is not modified"


def test_static_export_fixes_the_input_shape(tiny_model, tmp_path):
    result = export_model(
        tiny_model("unet"), tmp_path / "unet.onnx", input_size=(64, 80), batch_size=2
    )
    report = verify_export(result)
    _check(report)
    assert set(report.shapes) == {(2, 3, 64, 80)}
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    with pytest.raises(Exception, match="invalid dimensions"):
        session.run(None, {"images": np.zeros((2, 3, 64, 96), dtype=np.float32)})


def test_verification_fails_when_the_model_differs(tiny_model, tmp_path):
    result = export_model(tiny_model("yolov3"), tmp_path / "y.onnx", dynamic=True)
    with torch.no_grad():
        # x offsets of the finest level's boxes: they move by up to half a cell (4 px)
        result.model.head.predictors[0].bias[0::8].add_(1.0)
    report = verify_export(result)
    assert not report.passed
    assert "does NOT match" in report.lines()[-1]
    loose = verify_export(result, tolerance=Tolerance(box=10.0, score=1.0))
    assert loose.passed, "\n".join(loose.lines())


def test_antialiased_input_scale_needs_opset_18(tiny_model, tmp_path):
    with pytest.raises(
        ExportError, match=r"SegmentationModel: input scale 0.5 .*antialias.*opset 18"
    ):
        export_model(tiny_model("unet"), tmp_path / "u.onnx", opset=17)
    result = export_model(
        tiny_model("deeplabv3"), tmp_path / "d.onnx", opset=11, dynamic=True, input_size=(64, 64)
    )
    _check(verify_export(result))
