"""A segmenter with per-image normalisation (conftest.py's U-Net) on a one-pixel image: the
sample standard deviation divides by ``max(H * W - 1, 1)``, which the export graph computes on
the input's size rather than keeping the traced example's branch (a division by zero, NaN
logits)."""

from __future__ import annotations

import pytest
import torch

from detseg.export import export_model, verify_export


@pytest.mark.parametrize("format", ["torchscript", "onnx"])
def test_per_image_norm_export_of_a_one_pixel_image(tiny_model, format, tmp_path):
    if format == "onnx":
        pytest.importorskip("onnxruntime")
    result = export_model(
        tiny_model("unet"), tmp_path / f"u.{format}", format, dynamic=True, input_size=(32, 32)
    )
    images = [torch.rand(1, 3, 1, 1, generator=torch.Generator().manual_seed(0))]
    report = verify_export(result, images)
    assert report.passed, "\n".join(report.lines())
