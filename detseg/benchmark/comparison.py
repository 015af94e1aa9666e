"""A detseg model beside its torchvision twin: the measured throughputs and their report lines.

:func:`detseg.benchmark.detection_vs_torchvision.benchmark_detection` returns a
:class:`ModelComparison`; the segmentation benchmark extends it with its agreement checks.
Ratios are detseg / torchvision, so a ratio above 1 means detseg is faster.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
from torch import Tensor, nn

from detseg.benchmark.compilation import COMPILE_WARMUP, compile_models
from detseg.benchmark.profiling import CallProfile, format_profiles, profile_models
from detseg.benchmark.throughput import AMP_DTYPES, measure_models
from detseg.timed_stages import timed_stage

logger = logging.getLogger(__name__)

MODEL_NAMES = ("torchvision", "detseg")


@dataclass
class ModelComparison:
    """What one run of a model benchmark measured.

    Attributes:
        arch: torchvision builder name.
        batch, size: images per call and their side in pixels.
        device: torch device the models ran on.
        threads: ``torch.get_num_threads()`` during the run.
        repeats: timed calls per measurement (median reported).
        amp: autocast mode of the timed calls: ``"none"``, ``"bf16"`` or ``"fp16"``.
        channels_last: whether both models ran in ``torch.channels_last`` memory format.
        compile_mode: what ``torch.compile`` compiled in both models: ``"none"``,
            ``"backbone"`` or ``"all"`` (see :mod:`detseg.benchmark.compilation`).
        compile_backend: the ``torch.compile`` backend (unused with ``"none"``).
        compile_seconds: ``{"torchvision" | "detseg": {"train" | "infer": seconds}}``, the time
            the warm-up calls took beyond the steady state (compilation) when compiled, else
            ``None``.
        train_images_per_s, infer_images_per_s: ``{"torchvision": ..., "detseg": ...}``.
        profiles: ``{"torchvision" | "detseg": {"train" | "infer": CallProfile}}`` when
            profiled, else ``None``.
        detections_agree: for a detector, whether both models' eval-mode float32 detections on
            the benchmark's batch were the same before any timed call (``None``: not checked:
            a segmenter, which checks its logits and losses instead, or a detector of which
            neither model detected anything, so that nothing was compared).
        detections_per_image: for a detector, torchvision's count of detections on each image
            of that batch (``None`` for a segmenter).
    """

    arch: str
    batch: int
    size: int
    device: str
    threads: int
    repeats: int
    amp: str
    channels_last: bool
    compile_mode: str
    compile_backend: str
    compile_seconds: dict[str, dict[str, float]] | None
    train_images_per_s: dict[str, float]
    infer_images_per_s: dict[str, float]
    profiles: dict[str, dict[str, CallProfile]] | None
    detections_agree: bool | None = field(default=None, kw_only=True)
    detections_per_image: list[int] | None = field(default=None, kw_only=True)

    @property
    def train_ratio(self) -> float:
        """detseg / torchvision training throughput (> 1: detseg is faster)."""
        return self.train_images_per_s["detseg"] / self.train_images_per_s["torchvision"]

    @property
    def infer_ratio(self) -> float:
        """detseg / torchvision inference throughput (> 1: detseg is faster)."""
        return self.infer_images_per_s["detseg"] / self.infer_images_per_s["torchvision"]


def measure_twins(
    models: dict[str, tuple[nn.Module, Callable[[], dict[str, Tensor]], Callable[[], object]]],
    *,
    arch: str,
    batch: int,
    size: int,
    device: torch.device,
    repeats: int,
    amp: str,
    channels_last: bool,
    profile: bool,
    compile_mode: str = "none",
    compile_backend: str = "inductor",
    detections_agree: bool | None = None,
    detections_per_image: list[int] | None = None,
) -> ModelComparison:
    """Time (and with ``profile``, profile) both models' training and inference calls; each of
    the two stages logs a line when it starts and one with its seconds when it ends.

    Args:
        models: ``{"torchvision" | "detseg": (model, training-loss call, inference call)}``
            (see :func:`detseg.benchmark.throughput.compare_throughput`).
        arch, batch, size, repeats, amp, channels_last: recorded in the result, see
            :class:`ModelComparison`; ``batch`` and ``amp`` also drive the timing.
        device: where the models run.
        profile: also profile 3 training steps and 3 inference calls per model.
        compile_mode, compile_backend: compile both models alike first
            (:func:`detseg.benchmark.compilation.compile_models`); the compiled calls get
            ``COMPILE_WARMUP`` untimed warm-up calls instead of one.
        detections_agree, detections_per_image: recorded in the result (a detector's parity
            check, made before).
    """
    models = compile_models(models, compile_mode, compile_backend)
    compiled = compile_mode != "none"
    warmup = COMPILE_WARMUP if compiled else 1
    calls = counted(warmup + repeats, "call")
    compiling = " (the warm-up calls compile)" if compiled else ""
    timing = f"timing training steps and inference: {calls} of each per model{compiling}"
    with timed_stage(logger, timing):
        train, infer = measure_models(models, batch, device, repeats, AMP_DTYPES[amp], warmup)
    profiles = None
    if profile:
        with timed_stage(logger, "profiling 3 calls of each kind per model"):
            profiles = profile_models(models, device, AMP_DTYPES[amp])
    compile_seconds = None
    if compiled:
        compile_seconds = {
            name: {"train": train[name].warmup_excess_s, "infer": infer[name].warmup_excess_s}
            for name in models
        }
    return ModelComparison(
        arch=arch,
        batch=batch,
        size=size,
        device=str(device),
        threads=torch.get_num_threads(),
        repeats=repeats,
        amp=amp,
        channels_last=channels_last,
        compile_mode=compile_mode,
        compile_backend=compile_backend,
        compile_seconds=compile_seconds,
        train_images_per_s={name: t.images_per_s for name, t in train.items()},
        infer_images_per_s={name: t.images_per_s for name, t in infer.items()},
        profiles=profiles,
        detections_agree=detections_agree,
        detections_per_image=detections_per_image,
    )


def format_comparison(
    result: ModelComparison, title: str | None = None, checks: Sequence[str] = ()
) -> list[str]:
    """Report lines: the set-up, one line per model, the ratios, ``checks``, the profiles.

    Args:
        result: what was measured.
        title: what the first line names (default: ``result.arch``).
        checks: lines placed after the ratios (e.g. whether the outputs agree).
    """
    memory = "channels_last" if result.channels_last else "contiguous"
    lines = [
        f"{title or result.arch}: batch {result.batch} x {result.size} px{_resized(result.arch)} "
        f"on {result.device} "
        f"({counted(result.threads, 'thread')}), {counted(result.repeats, 'timed repetition')}, "
        f"amp {result.amp}, "
        f"{memory} weights"
        + (
            f", torch.compile {result.compile_mode} ({result.compile_backend})"
            if result.compile_mode != "none"
            else ""
        )
    ]
    for name in MODEL_NAMES:
        lines.append(
            f"{name:>12}: train {result.train_images_per_s[name]:7.2f} img/s   "
            f"infer {result.infer_images_per_s[name]:7.2f} img/s"
        )
    lines.append(
        f"ratio detseg / torchvision: train {result.train_ratio:.2f}x   "
        f"infer {result.infer_ratio:.2f}x"
    )
    if result.compile_seconds is not None:
        lines.append(format_compile_seconds(result.compile_seconds))
    lines.extend(_detection_check_lines(result))
    lines.extend(checks)
    if result.profiles is not None:
        lines.extend(format_profiles(result.profiles))
    return lines


#: The input side each SSD twin resizes every image to, whatever ``--size`` gives.
_SSD_INPUT_SIDES = {"ssd300_vgg16": 300, "ssdlite320_mobilenet_v3_large": 320}


def _resized(arch: str) -> str:
    """``" (resized to 320 by the SSD)"`` for an SSD twin, whose network always runs at its
    fixed input size; ``""`` otherwise."""
    side = _SSD_INPUT_SIDES.get(arch)
    return "" if side is None else f" (resized to {side} by the SSD)"


def _detection_check_lines(result: ModelComparison) -> list[str]:
    """The line of a detector's parity check: its verdict and the detections it compared per
    image, or that it compared nothing; none for a segmenter."""
    counts = result.detections_per_image
    if counts is None:  # a segmenter, or a comparison made without the check
        if result.detections_agree is None:
            return []
        return [f"same detections: {result.detections_agree} (eval mode, float32)"]
    if result.detections_agree is None:
        return ["same detections: not checked (neither model detected anything on the batch)"]
    per_image = ", ".join(str(c) for c in counts)
    return [
        f"same detections: {result.detections_agree} (eval mode, float32; {per_image} "
        f"detections per image)"
    ]


def counted(count: int, noun: str) -> str:
    """``"1 thread"``, ``"4 threads"``: a count and its noun, plural from 2 on (and at 0)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_compile_seconds(seconds: dict[str, dict[str, float]]) -> str:
    """One line: each model's compile time (warm-up beyond the steady state) per call kind."""
    parts = [
        f"{name} train {kinds['train']:.1f} s, infer {kinds['infer']:.1f} s"
        for name, kinds in seconds.items()
    ]
    return f"compile time (warm-up calls beyond steady state): {'; '.join(parts)}"
