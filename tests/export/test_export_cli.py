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
    assert len(checks) == 4 and all(line.endswith(": ok") for line in checks), result.stdout
    assert checks[-1].startswith("  [1, 3, 48, 48]: "), "half the export size is checked"
    assert "onnx export matches the PyTorch model" in lines[-1]


def test_export_warns_when_no_detection_was_compared(demo_checkpoint, tmp_path, run_tool):
    out = tmp_path / "none.torchscript.pt"
    result = run_tool(
        "export.py", demo_checkpoint, "--format", "torchscript", "--score-thr", "1", "--out", out
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[2].startswith("checked on 3 random-noise check images (the val split of the ")
    assert all(": 0 detections (PyTorch 0), " in line for line in lines[3:6]), result.stdout
    assert "torchscript export matches the PyTorch model" in lines[-2]
    assert lines[-1].startswith(
        "warning: no detection was compared (neither the file nor the PyTorch model detected "
        "anything above the score threshold 1 on the 3 random-noise check images), so this check "
        "is weak"
    )
    assert lines[-1].endswith(  # the tool's flags, not export_model's keywords
        "compare: --verify-images PATH, or a checkpoint whose config's val split is readable "
        "from here; so does a copy exported with a lower score threshold, e.g. --score-thr 0.01 "
        "(it is built into the file))"
    )


def test_export_refuses_a_batch_for_a_detector_in_one_line(demo_checkpoint, tmp_path, run_tool):
    result = run_tool("export.py", demo_checkpoint, "--format", "torchscript", "--batch-size", "2")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "export: error: faster_rcnn: a detector exports for one image per call ([1, 3, H, W], "
        "as torchvision's detectors do); --batch-size 2 is not supported: run the exported "
        "model once per image"
    ]
    assert not list(demo_checkpoint.parent.glob("*.torchscript.pt"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--input-size", "100", "-3"], "--input-size must be >= 1, got 100 -3"),
        (["--input-size", "0"], "--input-size must be >= 1, got 0"),
        (["--batch-size", "0"], "--batch-size must be >= 1, got 0"),
    ],
)
def test_export_names_the_flag_of_a_size_below_one(demo_checkpoint, run_tool, args, message):
    result = run_tool("export.py", demo_checkpoint, "--format", "torchscript", *args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [f"export: error: {message}"]
    assert not list(demo_checkpoint.parent.glob("*.torchscript.pt"))
