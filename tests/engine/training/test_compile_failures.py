"""``model.compile`` where compilation cannot work stops the run with one line naming the key
and what to do: inductor on the CPU without a C++ compiler before data and model are built,
and a backend that fails on the model's graph (inductor's C++ compiler rejecting the code it
generated) at the step that compiles it, instead of the compiler's traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import torch._inductor.config as inductor_config
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import ConfigError, load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.runtime import compiling
from detseg.engine.runtime.compiling import (
    check_compile_toolchain,
    compile_failure,
    missing_cpp_compiler,
)

REPO = Path(__file__).resolve().parents[3]
MISSING = "/nonexistent/bin/g++"
TINY = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.tensorboard=false",
    "eval.val_loss=false",
    "device=cpu",
]


@pytest.fixture
def no_compiler():
    with inductor_config.patch({"cpp.cxx": (None, MISSING)}):
        yield


@pytest.fixture
def dynamo_reset():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _config(root: Path, *extra: str):
    return load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={root}", *extra])


def _failing_backend(graph, example_inputs):
    raise RuntimeError("C++ compile error\n\nCommand:\ng++ kernel.cpp ...")


def test_no_cpp_compiler_stops_the_run_before_the_data(no_compiler, tmp_path):
    missing_data = tmp_path / "not_generated"  # reading the data would be another error
    with pytest.raises(ConfigError, match=r"model.compile: backbone on the CPU needs a C\+\+") as e:
        train(_config(missing_data, "model.compile=backbone"), tmp_path / "run")
    assert MISSING in str(e.value) and "model.compile: none" in str(e.value)
    assert "\n" not in str(e.value)
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize(
    ("mode", "device", "backend"),
    [("none", "cpu", "inductor"), ("all", "cuda", "inductor"), ("all", "cpu", "eager")],
)
def test_no_compiler_is_needed_without_inductor_on_the_cpu(
    no_compiler, monkeypatch, mode, device, backend
):
    """Passes although inductor on the CPU finds no compiler: none is looked for here."""
    assert missing_cpp_compiler("cpu", "inductor") == MISSING  # the compiler is really missing
    monkeypatch.setattr(compiling, "COMPILE_BACKEND", backend)
    assert check_compile_toolchain(mode, device) is None


def test_a_backend_failing_on_the_model_is_one_line(monkeypatch, dynamo_reset, tmp_path):
    generate_shapes(tmp_path / "shapes", num_train=2, num_val=1, size=64, seed=2)
    monkeypatch.setattr(compiling, "COMPILE_BACKEND", _failing_backend)
    with pytest.raises(ConfigError) as e:
        train(_config(tmp_path / "shapes", "model.compile=all"), tmp_path / "run")
    message = str(e.value)
    assert message.startswith("model.compile: all: torch.compile could not compile the model")
    assert "RuntimeError: C++ compile error" in message and "\n" not in message
    assert "set model.compile: backbone or none" in message
    assert isinstance(e.value.__cause__, torch._dynamo.exc.BackendCompilerFailed)


def test_other_errors_are_left_alone():
    assert compile_failure(RuntimeError("out of memory"), "all") is None
    failed = torch._dynamo.exc.BackendCompilerFailed(_failing_backend, RuntimeError("x"), None)
    assert compile_failure(failed, "none") is None
    assert "model.compile: none" in str(compile_failure(failed, "backbone"))
