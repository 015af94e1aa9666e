"""An error of the export check names its way out as its caller has it: from Python, the
keyword and the call (``another opset``, ``do not call verify_export``); from
``tools/export.py``, the flags (``another --opset``, ``--no-verify``), as the export's own
errors do (``ExportError.naming`` with the tool's ``EXPORT_FLAGS``)."""

from __future__ import annotations

import importlib

import pytest
from tool_in_process import run_tool_here
from tool_modules import load_tool

from detseg.export import ExportError, export_model
from detseg.export.export_error import NameOnly
from detseg.export.verify import load_exported

_import_module = importlib.import_module


def _without_onnxruntime(name: str, *args: object) -> object:
    if name == "onnxruntime":
        raise ImportError("No module named 'onnxruntime'")
    return _import_module(name, *args)  # type: ignore[arg-type]


def test_a_name_only_setting_is_the_keyword_or_the_flag_alone():
    error = ExportError(
        "another {opset}, or {verify}", opset=NameOnly("opset"), verify=NameOnly("x")
    )
    assert str(error) == "another opset, or x"
    assert error.naming({"opset": "--opset", "verify": "--no-verify"}) == (
        "another --opset, or --no-verify"
    )


def test_a_missing_onnxruntime_names_no_flag_from_python(tiny_model, tmp_path, monkeypatch):
    result = export_model(tiny_model("yolov1"), tmp_path / "m.onnx")
    monkeypatch.setattr(importlib, "import_module", _without_onnxruntime)
    with pytest.raises(ExportError) as caught:
        load_exported(result)
    assert str(caught.value) == (
        "checking an ONNX export needs onnxruntime: pip install onnxruntime, or skip the check "
        "(do not call verify_export)"
    )
    flags = load_tool("export.py").EXPORT_FLAGS
    assert caught.value.naming(flags).endswith("or skip the check (--no-verify)")


def test_the_tool_names_its_flag(demo_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(importlib, "import_module", _without_onnxruntime)
    code = run_tool_here("export.py", demo_checkpoint, "--out", tmp_path / "x.onnx")
    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert code == 2
    assert last == (
        "export: error: checking an ONNX export needs onnxruntime: pip install onnxruntime, or "
        "skip the check (--no-verify)"
    )
