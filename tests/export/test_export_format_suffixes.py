"""The exported file's suffix and its format: ``--format torchscript --out x.onnx`` wrote a
TorchScript file named .onnx without a word (and ``--out x.pt`` an ONNX file). A suffix of the
other format is refused in one line; without --format, --out's suffix picks the format."""

from __future__ import annotations

import json

import pytest

from detseg.export import ExportError, export_model
from detseg.export.export_settings import format_of
from detseg.export.torchscript_export import load_torchscript


@pytest.mark.parametrize(
    ("name", "format"),
    [("x.onnx", "torchscript"), ("x.pt", "onnx"), ("x.PTH", "onnx"), ("x.torchscript", "onnx")],
)
def test_a_suffix_of_the_other_format_is_refused(tiny_model, tmp_path, name, format):
    with pytest.raises(ExportError, match=rf"^{tmp_path / name}: a \..* file is .*, but the"):
        export_model(tiny_model("unet"), tmp_path / name, format=format)
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    ("name", "format"),
    [("x.onnx", "onnx"), ("x.ONNX", "onnx"), ("x.torchscript.pt", "torchscript"), ("x", None)],
)
def test_format_of_names_the_suffixes_format(name, format):
    assert format_of(name) == format


def test_the_cli_refuses_a_contradicting_suffix_in_one_line(demo_checkpoint, tmp_path, run_tool):
    out = tmp_path / "model.onnx"
    result = run_tool("export.py", demo_checkpoint, "--format", "torchscript", "--out", out)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"export: error: {out}: a .onnx file is onnx, but the format is torchscript; name the "
        "file model.pt or export with --format onnx"
    ]
    assert not list(tmp_path.iterdir())


def test_the_cli_takes_the_format_from_the_out_suffix(demo_checkpoint, tmp_path, run_tool):
    out = tmp_path / "model.pt"
    result = run_tool("export.py", demo_checkpoint, "--out", out, "--no-verify")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads((tmp_path / "model.pt.json").read_text())["format"] == "torchscript"
    load_torchscript(out)  # a TorchScript file, not an ONNX one
