"""``run_command``: a model or inputs too large for the machine end a tool with one line that
says the size asked for and what to lower, not the allocator's traceback from inside a layer.
An error that only mentions memory in other words keeps its traceback (it is a bug)."""

from __future__ import annotations

import pytest
from test_command_line import error_line, raising, run

from detseg.command_line import USER_ERROR_EXIT_CODE

CPU_ALLOCATOR = (
    "[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: "
    "you tried to allocate 120000000000 bytes. Error code 12 (Cannot allocate memory)"
)
CUDA_ALLOCATOR = "CUDA out of memory. Tried to allocate 2.00 GiB. GPU 0 has a total capacity of"


@pytest.mark.parametrize(
    ("error", "asked"),
    [
        (RuntimeError(CPU_ALLOCATOR), " (asked for 111.8 GiB)"),
        (RuntimeError(CUDA_ALLOCATOR), " (asked for 2.00 GiB)"),
        (MemoryError(), ""),
    ],
)
def test_an_allocator_failure_is_one_line(capsys, error, asked):
    assert run(raising(error), "input.png") == USER_ERROR_EXIT_CODE
    assert error_line(capsys) == (
        f"tool: error: out of memory{asked}: the model or its inputs do not fit in this "
        "machine's memory; lower the batch or image size (the tool's flags, or --set keys such "
        "as eval.batch_size and model.min_size; DETSEG_TRACEBACK=1 shows where it ran out)"
    )


def test_other_runtime_errors_keep_their_traceback():
    with pytest.raises(RuntimeError, match="memory format"):
        run(raising(RuntimeError("unsupported memory format")), "input.png")


def test_a_cuda_call_out_of_memory_is_one_line_too(capsys):
    """CUDA calls other than the allocator's say "CUDA error: out of memory"."""
    error = RuntimeError("CUDA error: out of memory\nCUDA kernel errors might be asynchronously")
    assert run(raising(error), "input.png") == USER_ERROR_EXIT_CODE
    assert error_line(capsys).startswith("tool: error: out of memory: the model or its inputs")
