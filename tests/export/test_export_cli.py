"""tools/export.py as a user runs it (``run_tool``: a process of its own) on a checkpoint after one
training step."""

from __future__ import annotations

import json

import pytest


def test_export_onnx_writes_the_file_the_sidecar_and_checks_them(
    demo_checkpoint, tmp_path, run_tool
):
    pytest.importorskip("onnxruntime")
    out = tmp_path / "demo.onnx"
    result = run_tool("export.py", demo_checkpoint, "--dynamic", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    assert out.is_file()
    sidecar = json.loads((tmp_path / "demo.onnx.json").read_text())
    assert sidecar["classes"] == ["circle", "square", "triangle"]
    assert sidecar["model"] == "faster_rcnn" and sidecar["score_thresh"] == 0.0
    assert sidecar["input"]["shape"] == [1, 3, "height", "width"]
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"wrote {out} (faster_rcnn, onnx opset 18")
    checks = [line for line in lines if line.startswith("  [1, 3, ")]
    assert len(checks) == 3 and all(line.endswith(": ok") for line in checks), result.stdout
    assert "onnx export matches the PyTorch model" in lines[-1]


def test_export_refuses_a_batch_for_a_detector_in_one_line(demo_checkpoint, tmp_path, run_tool):
    result = run_tool("export.py", demo_checkpoint, "--format", "torchscript", "--batch-size", "2")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "export: error: faster_rcnn: a detector exports for one image per call ([1, 3, H, W], "
        "as torchvision's detectors do); batch_size=2 is not supported: run the exported model "
        "once per image"
    ]
    assert not list(demo_checkpoint.parent.glob("*.torchscript.pt"))
