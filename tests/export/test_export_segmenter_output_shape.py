"""A segmenter's ONNX file declares its output as ``[B, K + 1, H, W]`` with the class count as
a number (onnxruntime's ``get_outputs()``), as its sidecar does, for a dynamic export too: the
logits' last Resize takes its size from the graph, which left the channels a symbolic
``Slicelogits_dim_1``."""

from __future__ import annotations

import json

import pytest

from detseg.export import export_model


@pytest.mark.parametrize("family", ["deeplabv3", "unet"])
@pytest.mark.parametrize("dynamic", [True, False])
def test_the_onnx_output_shape_holds_the_class_count(tiny_model, tmp_path, family, dynamic):
    ort = pytest.importorskip("onnxruntime")
    result = export_model(
        tiny_model(family), tmp_path / "s.onnx", dynamic=dynamic, input_size=(64, 64)
    )
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    declared = session.get_outputs()[0].shape
    expected = ["batch", 4, "height", "width"] if dynamic else [1, 4, 64, 64]  # K = 3
    assert declared == expected
    sidecar = json.loads(result.sidecar.read_text())
    assert sidecar["outputs"][0]["shape"] == expected
