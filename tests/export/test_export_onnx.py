"""ONNX export of every model family, run by onnxruntime against the PyTorch model.

Each test exports a tiny random model (``tiny_model`` of conftest.py) and checks the file with
``verify_export``: three input sizes with ``dynamic=True`` (a batch of two among them for the
segmenters), every detection paired with one of the model's (same label, boxes within 1e-3 of
the longer image side, scores within 1e-3), logits within 1e-4 of their scale.
"""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch
from torch import Tensor, nn

from detseg.export import ExportError, Tolerance, export_model, verify_export
from detseg.export.comparison import DetectionComparison
from detseg.export.onnx_export import write_onnx

ort = pytest.importorskip("onnxruntime")

DETECTORS = ["faster_rcnn", "retinanet", "ssdlite", "yolov3", "yolov1"]
SEGMENTERS = ["unet", "deeplabv3"]


def _check(report):
    assert len(report.comparisons) == len(report.shapes) > 0  # passed is all() of them
    assert report.passed, "\n".join(report.lines())


@pytest.mark.parametrize("family", DETECTORS)
def test_detector_onnx_matches_predict(tiny_model, family, tmp_path):
    result = export_model(tiny_model(family), tmp_path / f"{family}.onnx", dynamic=True)
    report = verify_export(result)
    _check(report)
    assert [shape[-2:] for shape in report.shapes] == [(96, 96), (73, 96), (96, 123), (48, 48)]
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
    assert [shape[0] for shape in report.shapes] == [1, 2, 1, 1]
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


class _Sigmoid(nn.Module):
    def forward(self, images: Tensor) -> Tensor:
        return torch.sigmoid(images)


def test_sigmoid_rounds_to_one_where_torch_does(tmp_path):
    # onnxruntime's Sigmoid kernel is not monotone near 1: it gave 1.0 for a logit of 16.74
    # and 1 - 2**-23 for 17.19, so confident RPN proposals that tie at 1.0 in PyTorch came
    # in another order to the NMS (see detseg/export/onnx_export.py)
    logits = torch.linspace(-20.0, 20.0, 40_001).reshape(1, 1, 1, -1)
    path = tmp_path / "sigmoid.onnx"
    write_onnx(_Sigmoid(), logits, path, ["scores"], {}, 18)
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    scores = torch.from_numpy(session.run(None, {"images": logits.numpy()})[0]).flatten()
    expected = torch.sigmoid(logits).flatten()
    assert bool((scores.diff() >= 0).all()), "not monotone"
    assert torch.equal(scores == 1.0, expected == 1.0)
    assert float((scores - expected).abs().max()) <= 2.4e-7


def test_faster_rcnn_with_saturated_objectness_matches_on_small_inputs(tiny_model, tmp_path):
    # a trained RPN scores many anchors with logits > 16.6, where torch's sigmoid is 1.0: its
    # NMS and top-n then go in top-k order, which the exported graph must keep
    model = copy.deepcopy(tiny_model("faster_rcnn"))
    with torch.no_grad():
        objectness = model.rpn.head.cls_logits
        objectness.weight.mul_(100.0)  # logits spread over ~12..22 around the bias
        objectness.bias.fill_(17.0)
    result = export_model(model, tmp_path / "confident.onnx", dynamic=True)
    generator = torch.Generator().manual_seed(0)
    images = [
        torch.rand(1, 3, h, w, generator=generator) for h, w in [(96, 96), (48, 48), (40, 64)]
    ]
    with torch.no_grad():
        batch, _ = model.transform([images[1][0]])
        logits, _ = model.rpn.head(list(model.backbone(batch.tensors).values()))
    saturated = torch.cat([torch.sigmoid(level).flatten() for level in logits]) == 1.0
    assert int(saturated.sum()) > 100, "the case needs many proposals that tie at 1.0"
    report = verify_export(result, images=images)
    _check(report)
    for comparison in report.comparisons:
        assert isinstance(comparison, DetectionComparison) and comparison.paired > 50
