"""An ``--input-size`` whose traced example does not fit in memory (``--input-size 100000``:
a 112 GiB image) is one line naming the flags, not the CPU allocator's ``RuntimeError``
traceback, and nothing is written."""

from __future__ import annotations

import pytest
import torch
from tool_in_process import run_tool_here

from detseg.export import ExportError, export_model

#: what torch's CPU allocator raises for a tensor the machine cannot hold
ALLOCATOR_ERROR = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 120000000000 bytes. Error code 12 (Cannot allocate memory)"
)


def _no_memory_for_big_tensors(monkeypatch: pytest.MonkeyPatch, limit: int = 10**8) -> None:
    """``torch.rand`` fails as the allocator does for a tensor of more than ``limit`` values
    (whatever this machine's memory: a real 112 GiB request may be granted lazily)."""
    real_rand = torch.rand

    def rand(*size, **kwargs):
        shape = size[0] if len(size) == 1 and isinstance(size[0], (tuple, list)) else size
        if torch.Size(shape).numel() > limit:
            raise RuntimeError(ALLOCATOR_ERROR)
        return real_rand(*size, **kwargs)

    monkeypatch.setattr(torch, "rand", rand)


def test_export_model_names_the_input_size(tiny_model, tmp_path, monkeypatch):
    model = tiny_model("faster_rcnn")
    _no_memory_for_big_tensors(monkeypatch)
    with pytest.raises(ExportError) as caught:
        export_model(model, tmp_path / "x.onnx", input_size=(100000, 100000))
    assert str(caught.value) == (
        "input_size=(100000, 100000) with batch_size=1: the example image of 111.8 GiB does "
        "not fit in memory; give a smaller input size or batch size"
    )
    assert not list(tmp_path.iterdir())


def test_the_cli_prints_one_line(demo_checkpoint, tmp_path, monkeypatch, capsys):
    _no_memory_for_big_tensors(monkeypatch)
    out = tmp_path / "x.onnx"
    code = run_tool_here("export.py", demo_checkpoint, "--out", out, "--input-size", "100000")
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "export: error: --input-size 100000 100000 with --batch-size 1: the example image of "
        "111.8 GiB does not fit in memory; give a smaller input size or batch size"
    )
    assert not out.exists() and not (tmp_path / "x.onnx.json").exists()


def test_another_runtime_error_keeps_its_traceback(tiny_model, tmp_path, monkeypatch):
    model = tiny_model("faster_rcnn")

    def broken(*size, **kwargs):
        raise RuntimeError("a bug")

    monkeypatch.setattr(torch, "rand", broken)
    with pytest.raises(RuntimeError, match="^a bug$"):
        export_model(model, tmp_path / "x.onnx", input_size=(64, 64))
