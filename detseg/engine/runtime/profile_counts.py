"""What a ``torch.profiler`` record counts: kernel launches, host-device syncs, the top ops.

Shared by the two profilers of detseg, which count the same way: ``tools/benchmark.py model
--profile`` (:mod:`detseg.benchmark.profiling`, steady-state calls of one model) and
``tools/train.py --profile N`` (:mod:`detseg.engine.training.step_profiler`, steps of a real
training run). On CUDA,

- kernel launches are the profiler's CPU-side runtime events whose name contains
  ``LaunchKernel`` (``cudaLaunchKernel``, ``cudaLaunchKernelExC``, ``cuLaunchKernel``; Triton
  kernels launch through the driver's ``cuLaunchKernel[Ex]``): :func:`count_launches`;
- host-device synchronisations are the warnings of ``torch.cuda.set_sync_debug_mode("warn")``
  (``.item()``, ``nonzero``, blocking copies to the host, ...): :class:`SyncCounter`;

and the ops are ranked by self device time (by self CPU time off CUDA): :func:`top_ops`.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import torch
from torch.autograd import DeviceType
from torch.autograd.profiler_util import FunctionEventAvg

LAUNCH_MARK = "LaunchKernel"  # in the name of every CUDA runtime / driver kernel launch
SYNC_MARK = "synchroniz"  # in the message of every sync-debug-mode warning


@dataclass
class OpTime:
    """One op of a profile.

    Attributes:
        name: the profiler's name of the op (``aten::addmm``, ``aten::cudnn_convolution``).
        ms_per_call: its self time (device time on CUDA, CPU time on the CPU) per call (per
            training step for the training profiler), in ms.
        share: that time over the self time of everything profiled, in [0, 1].
    """

    name: str
    ms_per_call: float
    share: float


def count_launches(events: Iterable[Any]) -> int:
    """Kernel launches among ``events`` (``prof.events()`` of a CUDA profile)."""
    return sum(LAUNCH_MARK in event.name for event in events)


@dataclass
class SyncCounter:
    """Counts the host-device synchronisations of CUDA work between :meth:`start` and
    :meth:`stop` (or inside ``with``), through ``torch.cuda.set_sync_debug_mode("warn")``.

    It may be started and stopped several times; ``syncs`` adds up. The warnings raised while
    counting are caught (Python's ``warnings.catch_warnings``: not thread-safe, and it takes
    every warning of the process meanwhile); those that are not about a sync are kept in
    ``other_warnings`` for the caller to show or drop.

    Attributes:
        syncs: synchronising operations seen so far.
        other_warnings: the caught warnings that were not sync warnings.
    """

    syncs: int = 0
    other_warnings: list[warnings.WarningMessage] = field(default_factory=list)
    _catcher: Any = None
    _caught: list[warnings.WarningMessage] = field(default_factory=list)
    _previous_mode: int = 0

    def start(self) -> None:
        """Count from now on (CUDA work only)."""
        if self._catcher is not None:
            raise RuntimeError("SyncCounter.start: already counting")
        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        self._previous_mode = torch.cuda.get_sync_debug_mode()
        torch.cuda.set_sync_debug_mode("warn")

    def stop(self) -> None:
        """Stop counting; add what was seen to ``syncs`` and ``other_warnings``."""
        if self._catcher is None:
            return
        try:
            torch.cuda.set_sync_debug_mode(self._previous_mode)
        finally:
            self._catcher.__exit__(None, None, None)
            self._catcher = None
        for warning in self._caught:
            if SYNC_MARK in str(warning.message):
                self.syncs += 1
            else:
                self.other_warnings.append(warning)
        self._caught = []

    def __enter__(self) -> SyncCounter:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def top_ops(events: Sequence[FunctionEventAvg], cuda: bool, calls: int, top: int) -> list[OpTime]:
    """The ``top`` ops of ``prof.key_averages()`` by self device (CUDA) or CPU time.

    Args:
        events: ``prof.key_averages()``.
        cuda: rank by self device time (a CUDA profile), else by self CPU time.
        calls: the calls (steps) profiled; ``OpTime.ms_per_call`` is per call.
        top: how many ops to keep.
    """
    if cuda:
        # CPU-side ops carry the time of the kernels they launched; the kernels, copies and
        # memsets themselves (device events, less user annotations) make the total, as in
        # the profiler's own table
        total = sum(
            e.self_device_time_total
            for e in events
            if e.device_type != DeviceType.CPU and not e.is_user_annotation
        )
        ops = [e for e in events if e.device_type == DeviceType.CPU]

        def self_us(event: FunctionEventAvg) -> float:
            return event.self_device_time_total
    else:
        total = sum(e.self_cpu_time_total for e in events)
        ops = list(events)

        def self_us(event: FunctionEventAvg) -> float:
            return event.self_cpu_time_total

    ranked = sorted((e for e in ops if self_us(e) > 0), key=self_us, reverse=True)[:top]
    op_times = []
    for e in ranked:
        assert e.key is not None, "key_averages groups the events by their key"
        op_times.append(OpTime(e.key, self_us(e) / 1000 / calls, self_us(e) / total))
    return op_times
