"""A YOLO whose input size is not a multiple of its coarsest stride (100 px at stride 32): the
cells past the image's right and bottom edge decode to boxes that clipping flattens, which
``YOLO.predict`` drops (``min_box_size``) and the export graph drops as well; both decode the
boxes against the padded batch (128 px)."""

from __future__ import annotations

import pytest
import torch

from detseg.export import export_model, verify_export
from detseg.models import build_model

YOLOV3_AT_100 = {
    "name": "yolo",
    "backbone": "mobilenet_v3_large",
    "width_mult": 0.5,
    "input_size": 100,
    "neck_channels": 32,
    "head_channels": 32,
    "inference": {"score_thresh": 0.0, "pre_nms_top_n": 1000, "max_detections": 1000},
}


YOLOV1_AT_100 = {
    "name": "yolo",
    "version": "v1",
    "backbone": "mobilenet_v3_large",
    "width_mult": 0.5,
    "input_size": 100,
    "inference": {"score_thresh": 0.0, "pre_nms_top_n": 1000, "max_detections": 1000},
}


@pytest.fixture(scope="module", params=[YOLOV3_AT_100, YOLOV1_AT_100], ids=["v3", "v1"])
def yolo_at_100(request):
    """A tiny YOLOv3 / YOLOv1 at 100 px, with spread head weights (distinct scores)."""
    torch.manual_seed(0)
    model = build_model(request.param, 3)
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for parameter in model.head.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator) * 0.1)
    return model.eval()


@pytest.mark.parametrize("format", ["torchscript", "onnx"])
def test_yolo_export_drops_the_flattened_boxes_of_edge_cells(yolo_at_100, format, tmp_path):
    if format == "onnx":
        pytest.importorskip("onnxruntime")
    result = export_model(yolo_at_100, tmp_path / f"y.{format}", format=format, dynamic=True)
    report = verify_export(result)
    assert report.passed and report.detections_compared > 0, "\n".join(report.lines())
