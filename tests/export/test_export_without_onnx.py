"""Without the ``onnx`` package (``make demo``'s environment, a plain ``pip install .``), an ONNX
export is refused in one line before the model is loaded, naming the install and the TorchScript
alternative; TorchScript still exports."""

from __future__ import annotations

import importlib.util

import pytest
from tool_in_process import run_tool_here

from detseg.export import ExportError, export_model


@pytest.fixture
def without_onnx(monkeypatch):
    find_spec = importlib.util.find_spec

    def hide_onnx(name: str, *args: object, **kwargs: object) -> object:
        return None if name == "onnx" else find_spec(name, *args, **kwargs)

    monkeypatch.setattr(importlib.util, "find_spec", hide_onnx)


def test_export_model_says_what_to_install(without_onnx, tiny_model, tmp_path):
    with pytest.raises(ExportError) as caught:
        export_model(tiny_model("unet"), tmp_path / "m.onnx")
    assert str(caught.value) == (
        "writing an ONNX file needs the onnx package: pip install onnx onnxruntime (or pip "
        "install 'detseg[export]'), or export TorchScript (format='torchscript'), which needs "
        "nothing more"
    )
    assert not list(tmp_path.iterdir())


def test_the_tool_names_its_format_flag(without_onnx, demo_checkpoint, tmp_path, capsys):
    code = run_tool_here("export.py", demo_checkpoint, "--out", tmp_path / "m.onnx")
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert err[-1].endswith(
        "or export TorchScript (--format torchscript), which needs nothing more"
    )
    assert "Traceback" not in "\n".join(err)


def test_torchscript_needs_no_onnx(without_onnx, tiny_model, tmp_path):
    result = export_model(tiny_model("unet"), tmp_path / "m.pt", format="torchscript")
    assert result.path.is_file()
