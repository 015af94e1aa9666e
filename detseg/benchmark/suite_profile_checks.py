"""The profiled row's kernel launches and host syncs per call, held against their targets.

:func:`profile_checks` turns the profiles of the profiled row (torchvision's and detseg's,
training step and inference) into :class:`CountCheck` s: detseg's launches at least
``LAUNCH_FACTOR`` x fewer than torchvision's, its syncs per training step at most
``SYNC_TARGET`` (:mod:`detseg.benchmark.suite`). Both the markdown table
(:mod:`detseg.benchmark.suite_markdown`) and the JSON file (:mod:`detseg.benchmark.suite_report`)
state them.
"""

from __future__ import annotations

from dataclasses import dataclass

from detseg.benchmark.profiling import CallProfile
from detseg.benchmark.suite import LAUNCH_FACTOR, SYNC_TARGET

CALLS = {"train": "training step", "infer": "inference"}


@dataclass
class CountCheck:
    """One count of the profiled row against its target.

    Attributes:
        count: ``"kernel launches"`` or ``"host syncs"``.
        kind: ``"train"`` or ``"infer"``.
        torchvision, detseg: the count per call (``None`` off CUDA).
        target: what detseg's count should be, in words.
        met: whether it is; ``None`` without a target or without counts.
    """

    count: str
    kind: str
    torchvision: float | None
    detseg: float | None
    target: str
    met: bool | None


def profile_checks(profiles: dict[str, dict[str, CallProfile]]) -> list[CountCheck]:
    """Launches (both call kinds) and syncs (training step: at most ``SYNC_TARGET``) per call.

    Args:
        profiles: ``{"torchvision" | "detseg": {"train" | "infer": CallProfile}}``.
    """
    checks = []
    for kind in CALLS:
        tv, ours = profiles["torchvision"][kind], profiles["detseg"][kind]
        met = None
        if tv.launches_per_call is not None and ours.launches_per_call is not None:
            met = ours.launches_per_call * LAUNCH_FACTOR <= tv.launches_per_call
        checks.append(
            CountCheck(
                "kernel launches",
                kind,
                tv.launches_per_call,
                ours.launches_per_call,
                f"{LAUNCH_FACTOR:g}x fewer than torchvision",
                met,
            )
        )
    for kind in CALLS:
        tv, ours = profiles["torchvision"][kind], profiles["detseg"][kind]
        target, met = "-", None
        if kind == "train":
            target = f"<= {SYNC_TARGET}"
            met = None if ours.syncs_per_call is None else ours.syncs_per_call <= SYNC_TARGET
        checks.append(
            CountCheck("host syncs", kind, tv.syncs_per_call, ours.syncs_per_call, target, met)
        )
    return checks
