"""An export and its check say what they are doing: each stage (tracing, writing the file,
loading it, checking it) logs a line when it starts and one with its seconds when it ends, in
the order of the work, and a bar counts the checked inputs. ``tools/export.py`` prints the lines
on stderr: its standard output keeps the files written and the check's report."""

from __future__ import annotations

import logging
import re
import runpy
import sys
from pathlib import Path

import pytest

import detseg.export.graph_writing as graph_writing
from detseg.export import ExportError, export_model, verify_export

REPO = Path(__file__).resolve().parents[2]
DONE = r": done in \d+\.\d s"


def stage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The export's log messages, in order."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("detseg.export")]


def assert_stages(lines: list[str], stages: list[str]) -> None:
    """``lines`` are ``<stage> ...`` and ``<stage>: done in <s> s`` for each stage in turn."""
    assert len(lines) == 2 * len(stages), lines
    for stage, start, end in zip(stages, lines[::2], lines[1::2], strict=True):
        assert start == f"{stage} ...", lines
        assert re.fullmatch(re.escape(stage) + DONE, end), lines


def test_torchscript_export_and_check_log_each_stage_in_order(tiny_model, tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="detseg")
    out = tmp_path / "unet.pt"
    result = export_model(
        tiny_model("unet"), out, format="torchscript", input_size=(64, 64), name="unet"
    )
    report = verify_export(result, progress=False)
    assert report.passed, report.lines()
    assert_stages(
        stage_lines(caplog),
        [
            "tracing unet on a [1, 3, 64, 64] example",
            f"writing {out} (TorchScript)",
            f"loading {out} with torch.jit",
            f"checking {out} with torch.jit on 3 inputs against the PyTorch model",
        ],
    )


def test_onnx_export_and_check_log_each_stage_in_order(tiny_model, tmp_path, caplog):
    pytest.importorskip("onnxruntime")
    caplog.set_level(logging.INFO, logger="detseg")
    out = tmp_path / "unet.onnx"
    result = export_model(tiny_model("unet"), out, dynamic=True, input_size=(64, 64), name="unet")
    report = verify_export(result, progress=False)
    assert report.passed, report.lines()
    assert_stages(
        stage_lines(caplog),
        [  # torch's ONNX exporter traces and writes in one call
            f"tracing unet on a [1, 3, 64, 64] example and writing {out} (ONNX opset 18)",
            f"loading {out} with onnxruntime",
            f"checking {out} with onnxruntime on 4 inputs against the PyTorch model",
        ],
    )


def test_the_check_counts_its_inputs_with_a_bar(tiny_model, tmp_path, capsys):
    result = export_model(
        tiny_model("unet"), tmp_path / "unet.pt", format="torchscript", input_size=(64, 64)
    )
    capsys.readouterr()
    verify_export(result, progress=True)
    captured = capsys.readouterr()
    assert "checking with torch.jit: " in captured.err and "0/3" in captured.err, captured.err
    assert captured.out == ""


def test_the_tool_prints_the_stages_on_stderr_and_the_report_on_stdout(
    demo_checkpoint, tmp_path, run_tool
):
    out = tmp_path / "demo.pt"
    result = run_tool("export.py", demo_checkpoint, "--format", "torchscript", "--out", out)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("INFO ") for line in lines), lines  # no bar: not a terminal
    assert_stages(
        [line.removeprefix("INFO ") for line in lines],
        [
            "tracing faster_rcnn on a [1, 3, 96, 96] example",
            f"writing {out} (TorchScript)",
            f"loading {out} with torch.jit",
            f"checking {out} with torch.jit on 3 inputs against the PyTorch model",
        ],
    )
    stdout = result.stdout.splitlines()
    assert stdout[0].startswith(f"wrote {out} (faster_rcnn, torchscript, input [1, 3, 96, 96])")
    assert "torchscript export matches the PyTorch model" in result.stdout
    assert not any(" ..." in line or "done in" in line for line in stdout), stdout


def test_an_error_in_a_stage_is_one_line_and_ends_no_stage(
    demo_checkpoint, tmp_path, monkeypatch, capsys, caplog
):
    def fail(*_: object) -> None:
        raise ExportError("cannot trace faster_rcnn: an operation the tracer does not know")

    monkeypatch.setattr(graph_writing, "trace_torchscript", fail)
    # the tool's logging.basicConfig adds a handler to the root logger: removed after the test
    monkeypatch.setattr(logging.root, "handlers", list(logging.root.handlers))
    caplog.set_level(logging.INFO, logger="detseg")
    out = tmp_path / "demo.pt"
    monkeypatch.setattr(sys, "argv", ["export.py", str(demo_checkpoint), "--out", str(out)])
    with pytest.raises(SystemExit) as stop:
        runpy.run_path(str(REPO / "tools" / "export.py"), run_name="__main__")
    assert stop.value.code == 2
    err = capsys.readouterr().err.splitlines()  # the stage's start line, then the error
    assert err[-1] == (
        "export: error: cannot trace faster_rcnn: an operation the tracer does not know"
    )
    assert sum("error" in line for line in err) == 1, err
    assert not any("Traceback" in line or "done in" in line for line in err), err
    assert stage_lines(caplog) == ["tracing faster_rcnn on a [1, 3, 96, 96] example ..."]
    assert not out.exists() and not list(tmp_path.glob(".*.tmp"))
