"""ONNX files of the lowest opset, 11, load and run in onnxruntime for the resizing detectors,
and a written file that onnxruntime cannot load is an ``ExportError`` (the one-line error of
tools/export.py), not onnxruntime's traceback.

Faster R-CNN and RetinaNet resize to their ``min_size`` in float64; at opset 11 a float64
``clamp`` became a ``Clip`` that onnxruntime runs on float32 only, so the file was written
and then failed to load."""

from __future__ import annotations

import dataclasses

import pytest

from detseg.export import DEFAULT_OPSET, ExportError, export_model, verify_export
from detseg.export.onnx_export import MIN_OPSET

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")


@pytest.mark.parametrize("family", ["faster_rcnn", "retinanet"])
def test_resizing_detectors_run_at_the_lowest_opset(tiny_model, tmp_path, family):
    result = export_model(tiny_model(family), tmp_path / "m.onnx", opset=MIN_OPSET, dynamic=True)
    report = verify_export(result)
    assert report.passed and report.detections_compared > 0, "\n".join(report.lines())


def _unloadable_onnx(path):
    """An ONNX file onnxruntime cannot load: a float64 ``Clip`` of opset 11 (float32 only)."""
    helper, tensor = onnx.helper, onnx.TensorProto
    node = helper.make_node("Clip", ["images", "low"], ["out"])
    graph = helper.make_graph(
        [node],
        "g",
        [helper.make_tensor_value_info("images", tensor.DOUBLE, [1])],
        [helper.make_tensor_value_info("out", tensor.DOUBLE, [1])],
        [helper.make_tensor("low", tensor.DOUBLE, [], [1.0])],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)])
    onnx.save(model, str(path))


def test_a_file_onnxruntime_cannot_load_is_an_export_error(tiny_model, tmp_path):
    result = export_model(tiny_model("yolov1"), tmp_path / "m.onnx", opset=MIN_OPSET)
    broken = tmp_path / "broken.onnx"
    _unloadable_onnx(broken)
    with pytest.raises(ExportError) as caught:
        verify_export(dataclasses.replace(result, path=broken))
    message = str(caught.value)
    assert message.startswith(f"{broken} was written, but onnxruntime cannot load it (")
    assert message.endswith(
        f"export with another opset (default {DEFAULT_OPSET}), or skip the check (do not call "
        "verify_export)"
    )
    assert "--" not in message and "\n" not in message  # no tool flag from Python
    flags = {"opset": "--opset", "verify": "--no-verify"}  # tools/export.py's, as it names them
    assert caught.value.naming(flags).endswith(
        f"export with another --opset (default {DEFAULT_OPSET}), or skip the check (--no-verify)"
    )
