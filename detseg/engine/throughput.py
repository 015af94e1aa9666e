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
from torch import Tensor, nn


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


def measure_interleaved(
    calls: dict[str, Callable[[], object]],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
    warmup: int = 1,
) -> dict[str, Throughput]:
    """:func:`measure` for several calls taken in turn (A, B, A, B, ...), one result each.

    Alternating spreads a change of machine load (another process, CPU frequency) over every
    call alike, so the ratio of two throughputs stays fair on a shared machine; timing one
    model completely and then the other does not.
    """
    for _ in range(warmup):
        for call in calls.values():
            call()
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeats):
        for name, call in calls.items():
            _synchronize(device)
            start = time.perf_counter()
            call()
            _synchronize(device)
            seconds[name].append(time.perf_counter() - start)
    results = {}
    for name, times in seconds.items():
        median = sorted(times)[len(times) // 2]
        results[name] = Throughput(images_per_s=batch_size / median, seconds_per_call=times)
    return results


def compare_throughput(
    models: dict[str, tuple[nn.Module, Callable[[], object], Callable[[], object]]],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
) -> tuple[dict[str, float], dict[str, float]]:
    """Training and inference images/s of several models, measured interleaved.

    Args:
        models: ``name -> (model, train_fn, infer_fn)``; ``train_fn()`` returns a loss dict
            (train mode, one SGD step each call), ``infer_fn()`` runs in eval mode under
            ``torch.no_grad()``.
        batch_size, device, repeats: as for :func:`measure_interleaved`.

    Returns:
        ``(train, infer)``: ``name -> images/s`` each.
    """
    steps = {}
    for name, (model, train_fn, _) in models.items():
        model.train()
        params = [p for p in model.parameters() if p.requires_grad]
        steps[name] = training_step(train_fn, torch.optim.SGD(params, lr=1e-4, momentum=0.9))
    train = measure_interleaved(steps, batch_size, device, repeats)
    for model, _, _ in models.values():
        model.eval()
    with torch.no_grad():
        infers = {name: infer_fn for name, (_, _, infer_fn) in models.items()}
        infer = measure_interleaved(infers, batch_size, device, repeats)
    return (
        {name: t.images_per_s for name, t in train.items()},
        {name: t.images_per_s for name, t in infer.items()},
    )


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
