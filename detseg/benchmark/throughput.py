"""Throughput measurements: training steps and inference, in images per second.

Used by ``tools/benchmark.py model`` to compare a detseg model with its torchvision twin in the
same process, on the same inputs, so that the ratio (not the absolute number) is what counts.
Timings synchronise CUDA before reading the clock; the first ``warmup`` calls are not timed.
With ``amp`` (a dtype from :data:`AMP_DTYPES`) the timed forward passes run under
``torch.autocast``; :mod:`detseg.benchmark.profiling` looks inside the same calls.
"""

from __future__ import annotations

import contextlib
import copy
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

import torch
from torch import Tensor, nn

from detseg.progress_bars import progress_bar


@dataclass
class Throughput:
    """Images per second of one measured call, the median over the timed repetitions.

    Attributes:
        images_per_s: images of one call over the median of ``seconds_per_call`` (for an even
            count the mean of the two middle calls).
        seconds_per_call: the timed calls, in order.
        warmup_seconds: the untimed warm-up calls before them, in order (empty if unrecorded).
    """

    images_per_s: float
    seconds_per_call: list[float]
    warmup_seconds: list[float] = field(default_factory=list)

    @property
    def warmup_excess_s(self) -> float:
        """Seconds the warm-up calls took beyond as many steady-state (median) calls, >= 0.

        With ``torch.compile`` this is the compilation time (tracing, code generation).
        """
        median = statistics.median(self.seconds_per_call)
        return max(0.0, sum(self.warmup_seconds) - len(self.warmup_seconds) * median)


# ``--amp`` names -> autocast dtype (``None``: float32, no autocast)
AMP_DTYPES: dict[str, torch.dtype | None] = {
    "none": None,
    "bf16": torch.bfloat16,
    "fp16": torch.float16,
}

T = TypeVar("T")


def autocast(device: torch.device, amp: torch.dtype | None) -> contextlib.AbstractContextManager:
    """``torch.autocast(device_type=device.type, dtype=amp)``; a no-op when ``amp`` is ``None``.

    Unlike :func:`detseg.engine.device.autocast_context` (training and evaluation, CUDA only)
    this also autocasts on the CPU, so that a benchmark measures what it was asked to.
    """
    if amp is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=amp)


def under_autocast(
    call: Callable[[], T], device: torch.device, amp: torch.dtype | None
) -> Callable[[], T]:
    """``call`` wrapped so that each of its calls runs under :func:`autocast`."""
    if amp is None:
        return call

    def wrapped() -> T:
        with autocast(device, amp):
            return call()

    return wrapped


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
    return Throughput(batch_size / statistics.median(seconds), seconds)


def measure_interleaved(
    calls: Mapping[str, Callable[[], object]],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
    warmup: int = 1,
    desc: str = "timed calls",
    progress: bool | None = None,
    reseed: bool = False,
) -> dict[str, Throughput]:
    """:func:`measure` for several calls taken in turn (A, B, A, B, ...), one result each.

    Alternating spreads a change of machine load (another process, CPU frequency) over every
    call alike, so the ratio of two throughputs stays fair on a shared machine; timing one
    model completely and then the other does not. The order turns every round (A, B, then
    B, A, ...), so that no call always runs second (after the other's caches and allocations).
    The warm-up calls are timed too (each result's ``warmup_seconds``) but do not count in
    ``images_per_s``.

    ``reseed``: seed torch's random generators with the round's number before each call
    (untimed), so that the calls of one round draw the same random numbers (dropout, the
    samplers of a detector's training step).

    ``progress``: a tqdm bar named ``desc`` on stderr over the ``(warmup + repeats) *
    len(calls)`` calls; ``None`` shows it only when stderr is a terminal, ``True`` always,
    ``False`` never (it is drawn between the timed calls, never inside one).
    """
    total = (warmup + repeats) * len(calls)
    bar = progress_bar(total=total, desc=desc, unit="call", progress=progress)
    warmups: dict[str, list[float]] = {name: [] for name in calls}
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    names = list(calls)
    with bar:
        for round_index in range(warmup + repeats):
            kept = warmups if round_index < warmup else seconds
            for name in names if round_index % 2 == 0 else names[::-1]:
                if reseed:
                    torch.manual_seed(round_index)
                kept[name].append(_timed(calls[name], device))
                bar.update()
    results = {}
    for name, times in seconds.items():
        results[name] = Throughput(batch_size / statistics.median(times), times, warmups[name])
    return results


def _timed(call: Callable[[], object], device: torch.device) -> float:
    """Seconds of one ``call()``, CUDA synchronised before and after."""
    _synchronize(device)
    start = time.perf_counter()
    call()
    _synchronize(device)
    return time.perf_counter() - start


def compare_throughput(
    models: dict[str, tuple[nn.Module, Callable[[], dict[str, Tensor]], Callable[[], object]]],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
    amp: torch.dtype | None = None,
) -> tuple[dict[str, float], dict[str, float]]:
    """Training and inference images/s of several models, measured interleaved.

    Args:
        models: ``name -> (model, train_fn, infer_fn)``; ``train_fn()`` returns a loss dict
            (train mode, one SGD step each call, see :func:`sgd_training_step`), ``infer_fn()``
            runs in eval mode under ``torch.no_grad()``.
        batch_size, device, repeats: as for :func:`measure_interleaved`.
        amp: autocast dtype of ``train_fn`` and ``infer_fn`` (``torch.bfloat16`` or
            ``torch.float16``, the latter with a gradient scaler in training); ``None`` runs them
            in float32 as they are.

    Returns:
        ``(train, infer)``: ``name -> images/s`` each.
    """
    train, infer = measure_models(models, batch_size, device, repeats, amp)
    return (
        {name: t.images_per_s for name, t in train.items()},
        {name: t.images_per_s for name, t in infer.items()},
    )


def measure_models(
    models: dict[str, tuple[nn.Module, Callable[[], dict[str, Tensor]], Callable[[], object]]],
    batch_size: int,
    device: torch.device,
    repeats: int = 5,
    amp: torch.dtype | None = None,
    warmup: int = 1,
) -> tuple[dict[str, Throughput], dict[str, Throughput]]:
    """:func:`compare_throughput` with the whole :class:`Throughput` of every measurement.

    The training steps of one round draw the same random numbers for every model
    (``reseed``: :func:`measure_interleaved`), and each model's weights are put back as they
    were before them for the inference timing: twins converted from one another keep timing
    the same weights, so that a detector keeps the same boxes to decode and suppress.

    Args:
        models, batch_size, device, repeats, amp: as for :func:`compare_throughput`.
        warmup: untimed calls of each kind per model first (more than one when the calls
            compile on first use, see :mod:`detseg.benchmark.compilation`).

    Returns:
        ``(train, infer)``: ``name -> Throughput`` each.
    """
    steps = {}
    weights = {}
    for name, (model, train_fn, _) in models.items():
        weights[name] = copy.deepcopy(model.state_dict())
        model.train()
        steps[name] = sgd_training_step(model, train_fn, device, amp)
    train = measure_interleaved(
        steps, batch_size, device, repeats, warmup, "training steps", reseed=True
    )
    for name, (model, _, _) in models.items():
        # the SGD steps moved the weights: inference is timed on the weights both models
        # shared before them (a detector's work depends on its scores)
        model.load_state_dict(weights[name])
        model.eval()
    with torch.no_grad():
        infers = {
            name: under_autocast(infer_fn, device, amp) for name, (_, _, infer_fn) in models.items()
        }
        infer = measure_interleaved(infers, batch_size, device, repeats, warmup, "inference")
    return train, infer


def random_detection_batch(
    batch_size: int,
    size: int,
    num_classes: int,
    device: torch.device,
    seed: int = 0,
    masks: bool = False,
) -> tuple[list[Tensor], list[dict[str, Tensor]]]:
    """``batch_size`` random images ``[3, size, size]`` in [0, 1], each with 1-6 random boxes.

    Boxes are xyxy absolute pixels with sides of 8 to ``size / 2``; labels in ``1..num_classes``.
    ``masks``: also instance masks ``UInt8[N, size, size]``, each an ellipse inscribed in its box
    (for Mask R-CNN).
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
        target = {"boxes": boxes.to(device), "labels": labels.to(device)}
        if masks:
            target["masks"] = _ellipse_masks(boxes, size).to(device)
        targets.append(target)
    return images, targets


def _ellipse_masks(boxes: Tensor, size: int) -> Tensor:
    """``UInt8[N, size, size]``: the ellipse inscribed in each xyxy box."""
    centres = (boxes[:, :2] + boxes[:, 2:]) / 2
    radii = ((boxes[:, 2:] - boxes[:, :2]) / 2).clamp(min=1.0)
    grid = torch.arange(size, dtype=torch.float32) + 0.5
    dx = (grid[None, None, :] - centres[:, 0, None, None]) / radii[:, 0, None, None]
    dy = (grid[None, :, None] - centres[:, 1, None, None]) / radii[:, 1, None, None]
    return (dx**2 + dy**2 <= 1.0).to(torch.uint8)


def sgd_training_step(
    model: nn.Module,
    loss_fn: Callable[[], dict[str, Tensor]],
    device: torch.device,
    amp: torch.dtype | None = None,
) -> Callable[[], None]:
    """:func:`training_step` with SGD (lr 1e-4, momentum 0.9) on ``model``'s trainable weights."""
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.SGD(params, lr=1e-4, momentum=0.9)
    return training_step(loss_fn, optimizer, device, amp)


def training_step(
    loss_fn: Callable[[], dict[str, Tensor]],
    optimizer: torch.optim.Optimizer,
    device: torch.device | None = None,
    amp: torch.dtype | None = None,
) -> Callable[[], None]:
    """A closure doing one step: ``loss_fn()`` -> sum -> backward -> ``optimizer.step()``.

    Args:
        loss_fn: the forward pass, returning a dict of scalar losses.
        optimizer: stepped once per call.
        device: where the model runs; needed with ``amp``.
        amp: autocast dtype of ``loss_fn()`` (the backward pass follows the forward's dtypes);
            with ``torch.float16`` the loss goes through a ``torch.amp.GradScaler``, as in real
            fp16 training (it checks the gradients for inf/NaN on the host: one sync per step).
            ``None``: float32, no autocast.
    """
    forward = loss_fn
    scaler: torch.amp.GradScaler | None = None
    if amp is not None:
        if device is None:
            raise ValueError("training_step: amp needs the device the model runs on")
        forward = under_autocast(loss_fn, device, amp)
        if amp == torch.float16:
            scaler = torch.amp.GradScaler(device.type)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        loss = sum(forward().values())
        assert isinstance(loss, Tensor), "loss_fn returns at least one loss term"
        if scaler is None:
            loss.backward()
            optimizer.step()
            return
        scaler.scale(loss).backward()
        scaler.step(optimizer)
        scaler.update()

    return step
