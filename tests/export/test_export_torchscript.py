"""TorchScript export (``torch.jit.trace`` of the export graphs) of every model family.

The traced graphs run the same kernels as the model, so their outputs equal the model's
exactly on every input size (the v1 YOLO head's pooling, written as matrix products for ONNX,
differs by rounding).
"""

from __future__ import annotations

import pytest

from detseg.export import export_model, verify_export
from detseg.export.comparison import DetectionComparison, LogitsComparison


@pytest.mark.parametrize("family", ["faster_rcnn", "retinanet", "ssdlite", "yolov3"])
def test_detector_torchscript_equals_predict(tiny_model, family, tmp_path):
    result = export_model(
        tiny_model(family), tmp_path / f"{family}.pt", format="torchscript", dynamic=True
    )
    assert result.opset is None and result.path.is_file()
    report = verify_export(result)
    assert len(report.comparisons) == len(report.shapes) == 4  # passed is all() of them
    assert report.passed, "\n".join(report.lines())
    for comparison in report.comparisons:
        assert isinstance(comparison, DetectionComparison)
        assert comparison.count == comparison.reference_count > 0
        assert comparison.max_box_diff == 0.0 and comparison.max_score_diff == 0.0


@pytest.mark.parametrize("family", ["unet", "deeplabv3"])
def test_segmenter_torchscript_equals_forward(tiny_model, family, tmp_path):
    result = export_model(
        tiny_model(family),
        tmp_path / f"{family}.pt",
        format="torchscript",
        dynamic=True,
        input_size=(64, 80),
    )
    report = verify_export(result)
    assert len(report.comparisons) == len(report.shapes) == 4  # passed is all() of them
    assert report.passed, "\n".join(report.lines())
    assert [shape[0] for shape in report.shapes] == [1, 2, 1, 1]
    for comparison in report.comparisons:
        assert isinstance(comparison, LogitsComparison) and comparison.max_diff == 0.0
