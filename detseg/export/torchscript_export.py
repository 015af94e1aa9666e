"""TorchScript files from the export graphs, by ``torch.jit.trace``.

The graph modules compute sizes, counts and anchor grids on tensors (see
:mod:`detseg.export.traceable`), so the trace records them as operations and the saved module
follows the size of each input. ``torch.jit.load(path)(images)`` runs it without detseg (torch
2.14 marks ``torch.jit`` deprecated in favour of ``torch.export``; it still saves and loads). A
detector's graph calls torchvision's operators (``torchvision::nms``, ``roi_align``), which
``import torchvision`` registers: without that import, ``torch.jit.load`` fails with ``Unknown
builtin op: torchvision::nms``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import torch
from torch import Tensor, nn


def write_torchscript(graph: nn.Module, example: Tensor, path: Path) -> None:
    """Trace ``graph`` on ``example`` (``Float[B, 3, H, W]``) and save it to ``path``."""
    save_torchscript(trace_torchscript(graph, example), path)


def trace_torchscript(graph: nn.Module, example: Tensor) -> torch.jit.ScriptModule:
    """``graph`` traced on ``example`` (``Float[B, 3, H, W]``)."""
    with warnings.catch_warnings():
        # torch.jit's deprecation notices and the tracer's notes on Python values; the export
        # is checked against the model instead (detseg.export.verify)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        return torch.jit.trace(graph, (example,), check_trace=False)


def save_torchscript(traced: torch.jit.ScriptModule, path: Path) -> None:
    """Save a traced module to ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit.save's deprecation notice
        # opened here, so that a path that cannot be written is an OSError naming it
        # (torch.jit.save given a name raises a RuntimeError that names neither the file nor
        # the reason)
        with open(path, "wb") as file:
            torch.jit.save(traced, file)


def load_torchscript(path: Path) -> torch.jit.ScriptModule:
    """``torch.jit.load(path)`` on the CPU (without torch.jit's deprecation notice)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return torch.jit.load(str(path), map_location="cpu")
