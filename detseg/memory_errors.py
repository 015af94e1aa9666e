"""Telling an allocator's out-of-memory failure from other errors, without importing torch.

A model or a batch too large for the machine fails deep inside a layer, in one of three ways:
PyTorch's CPU allocator raises a ``RuntimeError`` ("DefaultCPUAllocator: can't allocate memory:
you tried to allocate N bytes"), CUDA a ``torch.OutOfMemoryError`` (a ``RuntimeError``: "CUDA
out of memory. Tried to allocate 2.00 GiB"), numpy a ``MemoryError``. The tools make it one
line (:func:`detseg.command_line.run_command`; a training run names its config's sizes:
:mod:`detseg.engine.runtime.out_of_memory`).
"""

from __future__ import annotations

import re

__all__ = ["asked_size", "is_device_out_of_memory", "is_out_of_memory"]

#: The words of PyTorch's CPU and CUDA allocators when a tensor does not fit.
_ALLOCATOR_WORDS = ("can't allocate memory", "CUDA out of memory", "CUDA error: out of memory")


def is_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is an allocator's out-of-memory failure (CPU, CUDA, another device's
    ``torch.OutOfMemoryError`` such as MPS's, or numpy's ``MemoryError``)."""
    if isinstance(error, MemoryError) or is_device_out_of_memory(error):
        return True
    return isinstance(error, RuntimeError) and any(w in str(error) for w in _ALLOCATOR_WORDS)


def is_device_out_of_memory(error: BaseException) -> bool:
    """Whether ``error`` is a device's ``torch.OutOfMemoryError`` (CUDA, MPS), told by its
    type's name: this module imports no torch."""
    return type(error).__name__ == "OutOfMemoryError"


def asked_size(error: BaseException) -> str:
    """`` (asked for 1,609.3 GiB)``: the size the allocator was asked for where its message
    gives it, else ``""``."""
    text = str(error)
    cpu = re.search(r"tried to allocate (\d+) bytes", text)
    if cpu:
        return f" (asked for {int(cpu.group(1)) / 2**30:,.1f} GiB)"
    cuda = re.search(r"Tried to allocate ([\d.]+ [KMGT]iB)", text)
    return f" (asked for {cuda.group(1)})" if cuda else ""
