"""``model.compile``: ``torch.compile`` of the training forward pass, applied in place.

``nn.Module.compile`` compiles a module's ``__call__`` without wrapping the module, so the model
keeps its attributes and its state-dict keys (checkpoints do not change). What is compiled:

- ``"backbone"``: ``model.backbone``, the feature extractor every detseg model has (a
  detector's backbone with its FPN, a segmenter's encoder). Heads, target assignment and losses
  stay eager, so their data-dependent shapes (proposals, matches) cause no recompilation.
- ``"all"``: the module whose ``forward(images, targets)`` returns the losses (the
  :class:`~detseg.engine.runtime.distributed.LossForward` of the run, or its
  ``DistributedDataParallel`` wrapper, which ``torch.compile`` splits at the gradient buckets),
  so ``model.losses`` is compiled as a whole; where it cannot be captured it runs in pieces
  (graph breaks).

The first steps pay for the compilation, and every new input shape for a recompilation (after
the first, dynamo marks the changing sizes dynamic). Detection inputs are padded to a multiple
of 32 (``size_divisible``), which keeps the shapes few. Under ``"all"`` the targets are inputs
too: dynamo treats a size of 0 or 1 apart from larger ones, so each new pattern of images with
0, 1 or more boxes in a batch recompiles the loss computation (on the shapes data, batch 4:
seven graphs over the first eight steps, then none), as do data-dependent counts passed as
Python ints (the NMS candidates); ``"backbone"`` sees the images only.

Where compilation cannot work the run says so in one line naming ``model.compile``: inductor
on the CPU without a working C++ compiler before anything is built
(:func:`check_compile_toolchain`), and a backend that fails on the model's graph (a compiler
error in the code it generated) at the step that compiled it (:func:`compile_failure`).
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from detseg.config import ConfigError

logger = logging.getLogger(__name__)

#: The ``torch.compile`` backend. Tests set ``"eager"`` (the same graph capture, no code
#: generation), which is fast and keeps every value as without compilation.
COMPILE_BACKEND = "inductor"


def compile_for_training(model: nn.Module, train_model: nn.Module, mode: str) -> None:
    """Compile ``model``'s backbone or the whole loss computation in place (``model.compile``).

    Args:
        model: the detseg model being trained (not a wrapper), with a ``backbone`` submodule.
        train_model: the module whose ``forward(images, targets)`` returns the loss dict (the
            run's ``LossForward`` or its DDP wrapper), compiled for ``"all"``.
        mode: ``"none"`` (nothing happens), ``"backbone"`` or ``"all"``.

    Raises:
        ValueError: an unknown ``mode``, or ``"backbone"`` for a model without a ``backbone``.
    """
    if mode == "none":
        return
    if mode == "backbone":
        backbone = getattr(model, "backbone", None)
        if not isinstance(backbone, nn.Module):
            raise ValueError(
                f"model.compile: backbone needs a model with a 'backbone' module; "
                f"{type(model).__name__} has none (use model.compile: all)"
            )
        backbone.compile(backend=COMPILE_BACKEND)
    elif mode == "all":
        train_model.compile(backend=COMPILE_BACKEND)
    else:
        raise ValueError(f"model.compile must be none, backbone or all, got {mode!r}")
    logger.info("model.compile %s: torch.compile (%s backend)", mode, COMPILE_BACKEND)


def missing_cpp_compiler(device: str | torch.device, backend: str | None = None) -> str | None:
    """The C++ compilers tried, when ``backend`` compiles C++ on ``device`` (inductor on the
    CPU) and none of them works; ``None`` when no C++ compiler is needed or one works.

    Args:
        device: where the compiled code runs; on CUDA inductor writes Triton kernels instead.
        backend: ``torch.compile`` backend (default :data:`COMPILE_BACKEND`); only
            ``"inductor"`` compiles C++.
    """
    backend = backend or COMPILE_BACKEND
    if backend != "inductor" or torch.device(device).type != "cpu":
        return None
    from torch._inductor import config, exc
    from torch._inductor.cpp_builder import get_cpp_compiler

    try:
        get_cpp_compiler()
    except RuntimeError as error:  # exc.InvalidCxxCompiler; on Windows a missing cl.exe
        if isinstance(error, exc.InvalidCxxCompiler):
            return ", ".join(str(c) for c in config.cpp.cxx if c)
        return str(error).splitlines()[0] if str(error) else type(error).__name__
    return None


def check_compile_toolchain(mode: str, device: str | torch.device) -> None:
    """Raise ``ConfigError`` (one line) when ``model.compile`` is ``mode`` on ``device`` and the
    backend's C++ compiler is missing: inductor would fail at the first step, after the data
    and the model were built, with a long traceback.

    Args:
        mode: ``model.compile``; ``"none"`` needs no compiler.
        device: the run's device.
    """
    tried = None if mode == "none" else missing_cpp_compiler(device)
    if tried is not None:
        raise ConfigError(
            f"model.compile: {mode} on the CPU needs a C++ compiler (inductor generates C++) "
            f"and none works (tried: {tried}); install g++ or point the CXX environment "
            "variable at one, or set model.compile: none"
        )


def compile_failure(error: BaseException, mode: str) -> ConfigError | None:
    """The one-line ``ConfigError`` for ``error`` when it is ``torch.compile``'s backend
    failing on the model (``BackendCompilerFailed``, e.g. inductor's C++ compiler rejecting
    the code it generated) in a run with ``model.compile`` ``mode``; ``None`` for any other
    error. The backend's own output stays on the error's cause (``DETSEG_TRACEBACK=1``)."""
    from torch._dynamo.exc import BackendCompilerFailed

    if mode == "none" or not isinstance(error, BackendCompilerFailed):
        return None
    inner = getattr(error, "inner_exception", None) or error
    first = str(inner).strip().splitlines()[0] if str(inner).strip() else ""
    reason = f"{type(inner).__name__}: {first}" if first else type(inner).__name__
    other = "backbone or none" if mode == "all" else "none"
    return ConfigError(
        f"model.compile: {mode}: torch.compile could not compile the model ({reason}); set "
        f"model.compile: {other} (DETSEG_TRACEBACK=1 shows the compiler's output)"
    )
