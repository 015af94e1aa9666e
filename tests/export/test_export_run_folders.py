"""A run folder (``runs/x``) is exported as ``detseg.load`` reads it: its ``best.pt``, else its
``last.pt``, with a log line naming the file read; ``tools/export.py runs/x`` writes
``runs/x/best.onnx`` (or ``.torchscript.pt``) by default, and ``export_model("runs/x", ...)``
takes the folder too."""

from __future__ import annotations

import json
import logging
import shutil

from detseg.export import export_model, load_for_export


def test_export_model_takes_a_run_folder_without_best_pt(demo_checkpoint, tmp_path, caplog):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(demo_checkpoint, run / "last.pt")
    with caplog.at_level(logging.INFO, logger="detseg.run_folders"):
        result = export_model(run, tmp_path / "model.torchscript.pt", format="torchscript")
    assert result.path.is_file() and result.model_name == "faster_rcnn"
    assert json.loads(result.sidecar.read_text())["classes"] == ["circle", "square", "triangle"]
    assert [r.getMessage() for r in caplog.records] == [
        f"exporting {run / 'last.pt'} ({run} is a run folder; it has no best.pt)"
    ]
    model, name, classes = load_for_export(str(run))
    assert name == "faster_rcnn" and classes == ["circle", "square", "triangle"]


def test_export_tool_writes_beside_the_best_pt_of_a_run_folder(demo_checkpoint, tmp_path, run_tool):
    run = tmp_path / "run"
    run.mkdir()
    shutil.copy(demo_checkpoint, run / "best.pt")
    shutil.copy(demo_checkpoint, run / "last.pt")
    result = run_tool("export.py", run, "--format", "torchscript", "--no-verify")
    assert result.returncode == 0, result.stderr
    assert f"exporting {run / 'best.pt'} ({run} is a run folder; its best checkpoint)" in (
        result.stderr
    )
    assert result.stdout.splitlines()[0].startswith(f"wrote {run / 'best.torchscript.pt'} (")
    assert (run / "best.torchscript.pt.json").is_file()


def test_export_tool_refuses_a_folder_without_checkpoints_in_one_line(tmp_path, run_tool):
    result = run_tool("export.py", tmp_path, "--no-verify")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"export: error: {tmp_path} is a folder without best.pt or last.pt; give a best.pt / "
        "last.pt written by detseg-train (tools/train.py), or the run folder holding it"
    ]
