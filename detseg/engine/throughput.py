"""Throughput measurements: training steps and inference, in images per second.

Used by ``tools/benchmark.py model`` to compare a detseg model with its torchvision twin in the
same process, on the same inputs, so that the ratio (not the absolute number) is what counts.
Timings synchronise CUDA before reading the clock; the first ``warmup`` calls are not timed.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Throughput:
    """Images per second of one measured call, the median over the timed repetitions."""

    images_per_s: float
    seconds_per_call: list[float]


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(
    call: Callable[[], object],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
    warmup: int = 1,
) -> Throughput:
    """Time ``call()`` ``repeats`` times after ``warmup`` untimed calls.

    Args:
        call: one step on one batch (e.g. forward + backward + optimizer step).
        batch_size: images processed by one call.
        device: where the work runs (CUDA is synchronised around each call).
        repeats: timed calls; the median is reported.
        warmup: untimed calls first (allocator, cudnn autotuning, lazy init).
    """
    for _ in range(warmup):
        call()
    seconds = []
    for _ in range(repeats):
        _synchronize(device)
        start = time.perf_counter()
        call()
        _synchronize(device)
        seconds.append(time.perf_counter() - start)
    median = sorted(seconds)[len(seconds) // 2]
    return Throughput(images_per_s=batch_size / median, seconds_per_call=seconds)


def random_detection_batch(
    batch_size: int, size: int, num_classes: int, device: torch.device, seed: int = 0
) -> tuple[list[Tensor], list[dict[str, Tensor]]]:
    """``batch_size`` random images ``[3, size, size]`` in [0, 1], each with 1-6 random boxes.

    Boxes are xyxy absolute pixels with sides of 8 to ``size / 2``; labels in ``1..num_classes``.
    """
    generator = torch.Generator().manual_seed(seed)
    images, targets = [], []
    for _ in range(batch_size):
        images.append(torch.rand(3, size, size, generator=generator).to(device))
        count = int(torch.randint(1, 7, (1,), generator=generator))
        xy = torch.rand(count, 2, generator=generator) * size * 0.5
        wh = 8 + torch.rand(count, 2, generator=generator) * (size * 0.5 - 8)
        boxes = torch.cat([xy, (xy + wh).clamp(max=size)], dim=1)
        labels = torch.randint(1, num_classes + 1, (count,), generator=generator)
        targets.append({"boxes": boxes.to(device), "labels": labels.to(device)})
    return images, targets


def training_step(
    loss_fn: Callable[[], dict[str, Tensor]], optimizer: torch.optim.Optimizer
) -> Callable[[], None]:
    """A closure doing one step: ``loss_fn()`` -> sum -> backward -> ``optimizer.step()``."""

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        losses = loss_fn()
        sum(losses.values()).backward()
        optimizer.step()

    return step
