"""A resizing detector on an image so thin that its scale leaves no row (2 x 300 px with
``max_size=128``): the transform keeps one row, and so does the export graph (a resize to zero
rows fails in both runtimes)."""

from __future__ import annotations

import pytest
import torch

from detseg.detection.transform import DetectionTransform
from detseg.export import export_model, verify_export
from detseg.export.traceable import resize_min_max


@pytest.mark.parametrize("size", [(2, 300), (300, 2), (1, 1000), (5, 7)])
def test_resize_min_max_keeps_the_transforms_size(size):
    transform = DetectionTransform(min_size=96, max_size=128).eval()
    image = torch.rand(1, 3, *size, generator=torch.Generator().manual_seed(0))
    expected = transform._resize_per_image(image[0])[None]
    resized = resize_min_max(image, 96, 128)
    assert resized.shape == expected.shape
    torch.testing.assert_close(resized, expected, rtol=0, atol=0)


def test_a_thin_strip_keeps_one_row_in_the_exported_detector(tiny_model, tmp_path):
    pytest.importorskip("onnxruntime")
    result = export_model(tiny_model("retinanet"), tmp_path / "r.onnx", dynamic=True)
    strip = torch.rand(1, 3, 2, 300, generator=torch.Generator().manual_seed(0))
    report = verify_export(result, [strip])
    assert report.passed, "\n".join(report.lines())
    assert report.detections_compared > 0
