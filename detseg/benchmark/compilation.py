"""``torch.compile`` applied to a detseg model and its torchvision twin alike, for the benchmarks.

``tools/benchmark.py model --compile MODE`` compiles both models of a comparison the same way
before anything is timed:

- ``"none"``: nothing is compiled (eager PyTorch).
- ``"backbone"``: each model's feature extractor, its ``backbone`` attribute (the ResNet /
  MobileNet / VGG trunk with its FPN or extra layers for the detectors, the trunk for the
  segmenters), compiled in place with ``module.compile()``: the module keeps its class and its
  state-dict names, and everything around it (transform, RPN, heads, post-processing) stays
  eager.
- ``"all"``: the timed calls themselves (``tv(images, targets)`` / ``detseg.losses(images,
  targets)``, ``tv(images)`` / ``detseg.predict(images)``, ...) go through ``torch.compile``, so
  the whole forward pass of each model is compiled, up to the graph breaks that its
  data-dependent steps (NMS, sampling, per-image loops) make.

Compilation happens on the first calls: the benchmarks run :data:`COMPILE_WARMUP` untimed
warm-up calls of each kind (training step, inference) instead of one, and report the time
those calls took beyond the steady state as the compile time. The torchvision model's calls
come first, so its compile time also holds the compiler's start-up in the process, and
inductor's caches may serve the detseg model's identical subgraphs (same backbone): the two
compile times are each model's cost in that order, not a fair comparison.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch._dynamo
from torch import Tensor, nn

from detseg.choices.compile_modes import COMPILE_MODES
from detseg.engine.runtime.compiling import missing_cpp_compiler

# untimed calls of each kind before the timings when something is compiled: the first call
# compiles, the next ones recompile where shapes turned out to vary (numbers of proposals)
COMPILE_WARMUP = 3

# name -> (model, training-loss call, inference call), as timed by the benchmarks
ModelCalls = tuple[nn.Module, Callable[[], dict[str, Tensor]], Callable[[], object]]


def check_compile_mode(mode: str) -> None:
    """Raise ``ValueError`` unless ``mode`` is one of :data:`COMPILE_MODES`."""
    if mode not in COMPILE_MODES:
        raise ValueError(f"unknown compile mode {mode!r}; choose one of {COMPILE_MODES}.")


def check_compiler(mode: str, device: str | torch.device, backend: str = "inductor") -> None:
    """Raise ``ValueError`` (one line) when ``mode`` compiles with inductor on the CPU and no
    working C++ compiler is found (inductor's ``CXX`` or ``g++``): the first call would fail
    deep inside ``torch.compile``, after the models were built and checked.

    Args:
        mode: one of :data:`COMPILE_MODES`; ``"none"`` needs no compiler.
        device: where the models run; on CUDA inductor writes Triton kernels instead.
        backend: ``torch.compile`` backend; only ``"inductor"`` compiles C++.
    """
    tried = None if mode == "none" else missing_cpp_compiler(device, backend)
    if tried is not None:
        raise ValueError(
            f"--compile {mode} on the CPU needs a C++ compiler (inductor generates C++) and "
            f"none works (tried: {tried}); install g++ or point the CXX environment variable "
            "at one, or use --compile none"
        )


def compile_models(
    models: dict[str, ModelCalls], mode: str, backend: str = "inductor"
) -> dict[str, ModelCalls]:
    """Apply ``torch.compile`` to every model of ``models`` the same way.

    Args:
        models: ``name -> (model, train_fn, infer_fn)`` as for
            :func:`detseg.benchmark.throughput.compare_throughput`; every model has a
            ``backbone`` submodule (all detseg twins and their torchvision models do).
        mode: one of :data:`COMPILE_MODES`.
        backend: ``torch.compile`` backend: ``"inductor"`` (generated Triton kernels on CUDA,
            C++ on the CPU, which needs a C++ compiler), or ``"eager"`` / ``"aot_eager"``
            (tracing only, for tests).

    Returns:
        ``models`` with the calls to time: the same calls for ``"none"`` and ``"backbone"`` (the
        backbones are compiled in place), compiled calls for ``"all"``.

    Raises:
        ValueError: ``mode`` is not a compile mode, or a model has no ``backbone``.
    """
    check_compile_mode(mode)
    if mode == "none":
        return models
    # compiled code from an earlier comparison in this process would only fill the caches
    torch._dynamo.reset()
    if mode == "backbone":
        for name, (model, _, _) in models.items():
            backbone = getattr(model, "backbone", None)
            if not isinstance(backbone, nn.Module):
                raise ValueError(f"--compile backbone: the {name} model has no backbone module.")
            backbone.compile(backend=backend)
        return models
    return {
        name: (
            model,
            torch.compile(train_fn, backend=backend),
            torch.compile(infer_fn, backend=backend),
        )
        for name, (model, train_fn, infer_fn) in models.items()
    }
