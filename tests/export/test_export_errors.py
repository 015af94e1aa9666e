"""What cannot be exported is an ``ExportError`` (a ``ValueError``) that names the model and
the reason, raised before any file is written."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.export import ExportError, export_model


def test_a_detector_exports_one_image_per_call(tiny_model, tmp_path):
    with pytest.raises(ExportError, match=r"^FasterRCNN: a detector exports for one image per"):
        export_model(tiny_model("faster_rcnn"), tmp_path / "f.onnx", batch_size=2)
    with pytest.raises(ExportError, match=r"^yolo_tiny: .*; batch_size=4 is not supported"):
        export_model(
            tiny_model("yolov3"), tmp_path / "y.pt", "torchscript", batch_size=4, name="yolo_tiny"
        )
    assert not list(tmp_path.iterdir())


def test_bad_settings_name_the_setting(tiny_model, tmp_path):
    model = tiny_model("deeplabv3")
    with pytest.raises(ExportError, match=r"^opset=10 is outside 11\.\.20"):
        export_model(model, tmp_path / "d.onnx", opset=10)
    with pytest.raises(ExportError, match=r"^opset=21 is outside"):
        export_model(model, tmp_path / "d.onnx", opset=21)
    with pytest.raises(ExportError, match=r"unknown export format 'tflite'"):
        export_model(model, tmp_path / "d.tflite", format="tflite")
    with pytest.raises(ExportError, match=r"^input_size=\(0, 64\): both sides must be positive"):
        export_model(model, tmp_path / "d.onnx", input_size=(0, 64))
    assert issubclass(ExportError, ValueError)  # tools report it as one line, exit code 2


class _MaskDetector(nn.Module):
    """Stands for an instance-segmentation detector (Mask R-CNN's ``has_masks``)."""

    task = "detection"
    has_masks = True
    num_classes = 2


def test_models_without_an_export_graph_are_refused(tmp_path):
    with pytest.raises(ExportError, match=r"^_MaskDetector: instance masks are not part"):
        export_model(_MaskDetector(), tmp_path / "m.onnx")
    with pytest.raises(ExportError, match=r"Linear is not a detseg detector or segmenter"):
        export_model(nn.Linear(2, 2), tmp_path / "l.onnx")
    other = _MaskDetector()
    other.has_masks = False
    with pytest.raises(ExportError, match=r"no export graph for _MaskDetector"):
        export_model(other, tmp_path / "o.pt", format="torchscript")
    assert torch.is_grad_enabled()
