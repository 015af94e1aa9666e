"""The lowest ONNX opset, 11, for the v1 YOLO head, and an operation an opset lacks as an
``ExportError`` (a one-line error of tools/export.py) rather than torch's exporter error."""

from __future__ import annotations

import pytest
import torch
from torch import Tensor, nn

from detseg.export import ExportError, export_model, verify_export
from detseg.export.onnx_export import MIN_OPSET, write_onnx

pytest.importorskip("onnxruntime")


def test_yolov1_exports_at_the_lowest_opset(tiny_model, tmp_path):
    result = export_model(tiny_model("yolov1"), tmp_path / "v1.onnx", opset=MIN_OPSET)
    report = verify_export(result)
    assert report.passed and report.detections_compared > 0, "\n".join(report.lines())


class _Unflatten(nn.Module):
    """``Tensor.unflatten``, which the exporter writes from opset 13 on."""

    def forward(self, images: Tensor) -> Tensor:
        return images.flatten(2).unflatten(2, images.shape[2:])


def test_an_operation_missing_from_the_opset_is_an_export_error(tmp_path):
    path = tmp_path / "u.onnx"
    with pytest.raises(ExportError, match=r"^cannot export to ONNX opset 11: .*'aten::unflatten'"):
        write_onnx(_Unflatten(), torch.rand(1, 3, 4, 4), path, ["logits"], {}, 11)
    assert not path.exists()
