"""``tools/benchmark.py model --compile`` on the CPU without a working C++ compiler stops at once
with one line naming the compiler tried and what to do, before any model is built (inductor
would fail on the first compiled call, minutes later, with a long traceback)."""

from __future__ import annotations

import pytest
import torch._inductor.config as inductor_config
from tool_modules import load_tool

import detseg.benchmark.model_vs_torchvision as model_vs_torchvision
from detseg.benchmark.compilation import check_compiler
from detseg.engine.runtime.compiling import missing_cpp_compiler

MISSING = "/nonexistent/bin/g++"


@pytest.fixture
def no_compiler():
    with inductor_config.patch({"cpp.cxx": (None, MISSING)}):
        yield


def test_compiling_on_the_cpu_needs_a_working_compiler(no_compiler) -> None:
    with pytest.raises(ValueError, match=r"--compile all on the CPU needs a C\+\+ compiler") as e:
        check_compiler("all", "cpu")
    assert MISSING in str(e.value) and "CXX" in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize(
    ("mode", "device", "backend"),
    [("none", "cpu", "inductor"), ("all", "cuda", "inductor"), ("backbone", "cpu", "eager")],
)
def test_no_compiler_is_needed_without_inductor_on_the_cpu(no_compiler, mode, device, backend):
    """Passes although inductor on the CPU finds no compiler: none is looked for here."""
    assert missing_cpp_compiler("cpu", "inductor") == MISSING  # the compiler is really missing
    assert check_compiler(mode, device, backend) is None


def test_the_tool_refuses_before_building_models(no_compiler, monkeypatch) -> None:
    def build(*args, **kwargs):
        raise AssertionError("the models were built before the compiler was checked")

    monkeypatch.setattr(model_vs_torchvision, "benchmark_model", build)
    tool = load_tool("benchmark.py")
    with pytest.raises(ValueError, match=MISSING):
        tool.main(["model", "lraspp_mobilenet_v3_large", "--compile", "backbone"])
