"""``benchmark.py model`` with a ``--size`` or ``--batch`` whose tensors do not fit in the CPU's
memory (``--size 100000``: a 112 GiB batch of one image) is one line naming both flags, not the
CPU allocator's ``RuntimeError`` traceback; CUDA's out-of-memory error and other runtime errors
pass unchanged (a suite row reports them as they are)."""

from __future__ import annotations

import pytest
import torch
from tool_in_process import run_tool_here

from detseg.benchmark import model_vs_torchvision

ALLOCATOR_ERROR = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 120000000000 bytes. Error code 12 (Cannot allocate memory)"
)


def _raising(error: BaseException):
    def benchmark(*args, **kwargs):
        raise error

    return benchmark


@pytest.mark.parametrize(
    ("arch", "builder", "error"),
    [
        ("lraspp_mobilenet_v3_large", "benchmark_segmentation", RuntimeError(ALLOCATOR_ERROR)),
        ("ssdlite320_mobilenet_v3_large", "benchmark_detection", MemoryError("no memory")),
    ],
)
def test_the_error_names_size_and_batch(monkeypatch, arch, builder, error) -> None:
    monkeypatch.setattr(model_vs_torchvision, builder, _raising(error))
    with pytest.raises(ValueError) as raised:
        model_vs_torchvision.benchmark_model(arch, size=100000, batch=1, repeats=1)
    assert str(raised.value) == (
        f"{arch} with --batch 1 --size 100000: the images or the activations do not fit in "
        "memory; give a smaller --batch or --size"
    )


@pytest.mark.parametrize(
    "error", [torch.OutOfMemoryError("CUDA out of memory"), RuntimeError("something else")]
)
def test_other_errors_pass_unchanged(monkeypatch, error) -> None:
    monkeypatch.setattr(model_vs_torchvision, "benchmark_segmentation", _raising(error))
    with pytest.raises(type(error)) as raised:
        model_vs_torchvision.benchmark_model("fcn_resnet50", size=64, batch=1, repeats=1)
    assert raised.value is error


def test_the_command_prints_one_line(monkeypatch, capsys) -> None:
    failure = _raising(RuntimeError(ALLOCATOR_ERROR))
    monkeypatch.setattr(model_vs_torchvision, "benchmark_segmentation", failure)
    args = ["model", "lraspp_mobilenet_v3_large", "--size", "100000", "--batch", "1"]
    code = run_tool_here("benchmark.py", *args)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    assert err.strip().splitlines()[-1] == (
        "benchmark: error: lraspp_mobilenet_v3_large with --batch 1 --size 100000: the images or "
        "the activations do not fit in memory; give a smaller --batch or --size"
    )
