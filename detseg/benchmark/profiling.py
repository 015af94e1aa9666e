"""What a model's steady-state calls cost: kernel launches, host-device syncs, the top ops.

``tools/benchmark.py model --profile`` runs :func:`profile_models` after the timings, on the
calls that were timed: for each model a few training steps, then a few inference calls, each
kind after one unprofiled warm-up call, under ``torch.profiler``. On CUDA it counts, per call,

- kernel launches: the profiler's CPU-side runtime events whose name contains ``LaunchKernel``
  (``cudaLaunchKernel``, ``cudaLaunchKernelExC``, ``cuLaunchKernel``; Triton kernels launch
  through the driver's ``cuLaunchKernel[Ex]``);
- host-device synchronisations: the warnings of ``torch.cuda.set_sync_debug_mode("warn")``
  (``.item()``, ``nonzero``, blocking copies to the host, ...) during the calls;

and ranks the ops by self device time. On the CPU the two counts are ``None`` and the ops are
ranked by self CPU time. The counting lives in :mod:`detseg.engine.runtime.profile_counts`,
shared with the training profiler (``tools/train.py --profile N``). The profiler slows every
call down: the timings come from :mod:`detseg.benchmark.throughput`, never from here.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn
from torch.profiler import ProfilerActivity, profile

from detseg.benchmark.throughput import sgd_training_step, under_autocast
from detseg.engine.runtime.profile_counts import (
    LAUNCH_MARK,
    SYNC_MARK,
    OpTime,
    SyncCounter,
    count_launches,
    top_ops,
)

CALL_KINDS = {"train": "training step", "infer": "inference"}

# The profiler's C++ library (Kineto) writes its log lines to stderr, read from this variable
# when it first starts in a process. Off CUDA they are noise (a "profiler_start" /
# "profiler_stop" pair per profile, a "gpuGetDeviceCount failed" error without a GPU):
# ``CPU_KINETO_LOG_LEVEL`` silences them. On CUDA they stay (a CUPTI error explains a count of 0).
KINETO_LOG_LEVEL = "KINETO_LOG_LEVEL"
CPU_KINETO_LOG_LEVEL = "6"
__all__ = [
    "CALL_KINDS",
    "LAUNCH_MARK",
    "SYNC_MARK",
    "CallProfile",
    "OpTime",
    "format_profile",
    "format_profiles",
    "profile_call",
    "profile_models",
]


@dataclass
class CallProfile:
    """What :func:`profile_call` saw, per call.

    Attributes:
        calls: profiled calls (the numbers below are their mean).
        device_type: ``"cuda"`` or ``"cpu"``.
        launches_per_call: kernel launches; ``None`` off CUDA.
        syncs_per_call: host-device synchronisations; ``None`` off CUDA.
        top_ops: the ops with the most self time, largest first.
    """

    calls: int
    device_type: str
    launches_per_call: float | None
    syncs_per_call: float | None
    top_ops: list[OpTime]

    @property
    def time_kind(self) -> str:
        """Which self time ranks the ops: ``"CUDA"`` or ``"CPU"``."""
        return "CUDA" if self.device_type == "cuda" else "CPU"


def profile_call(
    call: Callable[[], object],
    device: torch.device,
    calls: int = 3,
    warmup: int = 1,
    top: int = 10,
) -> CallProfile:
    """Profile ``calls`` calls of ``call()`` after ``warmup`` unprofiled ones.

    Args:
        call: one step on one batch, set up as it should run (train/eval mode, ``no_grad``,
            autocast are the caller's).
        device: where the work runs; kernel launches and syncs are counted on CUDA only.
        calls: profiled calls; every number is per call.
        warmup: calls before profiling (allocator, cudnn autotuning, optimizer state).
        top: how many ops to keep.

    Off CUDA, the profiler's own log lines on stderr are silenced (``KINETO_LOG_LEVEL`` set to
    :data:`CPU_KINETO_LOG_LEVEL` unless set already; read at the first profile of a process).
    """
    for _ in range(warmup):
        call()
    cuda = device.type == "cuda"
    if not cuda:  # a level the user set stays
        os.environ.setdefault(KINETO_LOG_LEVEL, CPU_KINETO_LOG_LEVEL)
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if cuda else [])
    if cuda:
        torch.cuda.synchronize(device)  # the warm-up's kernels stay out of the profile
    syncs = None
    if cuda:  # counted without the profiler, whose own start and stop synchronise
        syncs = _run_counting_syncs(call, calls)
        torch.cuda.synchronize(device)
    with profile(activities=activities) as prof:
        _run(call, calls)
        if cuda:
            torch.cuda.synchronize(device)
    launches = count_launches(prof.events()) if cuda else None
    return CallProfile(
        calls=calls,
        device_type=device.type,
        launches_per_call=None if launches is None else launches / calls,
        syncs_per_call=None if syncs is None else syncs / calls,
        top_ops=top_ops(prof.key_averages(), cuda, calls, top),
    )


def _run(call: Callable[[], object], calls: int) -> None:
    for _ in range(calls):
        call()


def _run_counting_syncs(call: Callable[[], object], calls: int) -> int:
    """Run ``call()`` ``calls`` times on CUDA; the number of synchronising operations seen."""
    with SyncCounter() as counter:
        _run(call, calls)
    return counter.syncs


def profile_models(
    models: dict[str, tuple[nn.Module, Callable[[], dict[str, Tensor]], Callable[[], object]]],
    device: torch.device,
    amp: torch.dtype | None = None,
    calls: int = 3,
    top: int = 10,
) -> dict[str, dict[str, CallProfile]]:
    """Profile the calls :func:`~detseg.benchmark.throughput.compare_throughput` times.

    Args:
        models: ``name -> (model, train_fn, infer_fn)`` as for ``compare_throughput``: each
            training step (train mode, SGD, a fresh optimizer warmed up by the first call) and
            each inference (eval mode, ``torch.no_grad()``) is profiled separately.
        device, amp: as for ``compare_throughput``.
        calls, top: as for :func:`profile_call`.

    Returns:
        ``name -> {"train": CallProfile, "infer": CallProfile}``.
    """
    profiles = {}
    for name, (model, train_fn, infer_fn) in models.items():
        model.train()
        step = sgd_training_step(model, train_fn, device, amp)
        train = profile_call(step, device, calls, top=top)
        model.eval()
        with torch.no_grad():
            infer = profile_call(under_autocast(infer_fn, device, amp), device, calls, top=top)
        profiles[name] = {"train": train, "infer": infer}
    return profiles


def _count(value: float | None, device_type: str) -> str:
    if value is None:
        return f"n/a ({device_type})"
    return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"


def format_profile(profile: CallProfile, title: str) -> list[str]:
    """Lines for one profile: launches and syncs per call, then one line per top op."""
    lines = [
        f"{title}: kernel launches {_count(profile.launches_per_call, profile.device_type)}, "
        f"host-device syncs {_count(profile.syncs_per_call, profile.device_type)} per call",
        f"    {'share':>6}  {'ms/call':>9}  op (top {len(profile.top_ops)} by self "
        f"{profile.time_kind} time)",
    ]
    for op in profile.top_ops:
        lines.append(f"    {100 * op.share:5.1f}%  {op.ms_per_call:9.3f}  {op.name}")
    return lines


def format_profiles(profiles: dict[str, dict[str, CallProfile]]) -> list[str]:
    """Lines for :func:`profile_models`' result, model by model, training step first."""
    first = next(iter(next(iter(profiles.values())).values()))
    lines = [f"profile: {first.calls} calls of each kind after a warm-up call, numbers per call"]
    for name, kinds in profiles.items():
        for kind, result in kinds.items():
            lines.extend(format_profile(result, f"{name} {CALL_KINDS.get(kind, kind)}"))
    return lines
