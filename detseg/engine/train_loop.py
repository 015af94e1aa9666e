"""One training epoch, as a plain function.

``train_one_epoch`` runs the usual steps for each batch: move it to the device,
compute ``model.losses(images, targets)`` (under autocast when AMP is on; for a
segmenter's ``SegBatch`` that is ``model.losses(images [B, 3, H, W], masks [B, H, W])``), check
the loss is finite, back-propagate, clip gradients, step the optimizer and the
per-iteration learning-rate scheduler. It logs running means to the progress
bar and to a :class:`~detseg.engine.metric_log.MetricLogger`.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

import torch
from torch import nn

from detseg.engine.metric_log import MetricLogger, progress

logger = logging.getLogger(__name__)

AmpMode = Literal["none", "bf16", "fp16"]


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the message names the iteration and every loss term.

    Attributes:
        iteration: global iteration (0-based) of the bad step.
        loss_terms: value of each loss term at that step.
    """

    def __init__(self, iteration: int, loss_terms: dict[str, float]) -> None:
        self.iteration = iteration
        self.loss_terms = dict(loss_terms)
        terms = ", ".join(f"{name}={value:.6g}" for name, value in loss_terms.items())
        super().__init__(
            f"non-finite loss at iteration {iteration}: {terms}. Training stopped; "
            "the last good checkpoint is kept. Try a lower train.lr, a longer "
            "train.warmup_iters or train.grad_clip."
        )


@dataclass
class EpochStats:
    """What one call of :func:`train_one_epoch` did.

    Attributes:
        iterations: optimizer steps taken.
        images: images trained on.
        skipped_images: unreadable images the loader left out.
        dropped_boxes: invalid boxes the datasets dropped.
        losses: mean of each loss term (and ``loss``, their sum) over the epoch.
        seconds: wall time of the epoch.
    """

    iterations: int = 0
    images: int = 0
    skipped_images: int = 0
    dropped_boxes: int = 0
    losses: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def resolve_device(name: str) -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; other names go to ``torch.device``.

    Raises:
        ValueError: unknown device string, or CUDA asked for but not available.
    """
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError as err:
        raise ValueError(f"device {name!r} is not valid; use auto, cpu, cuda or cuda:N") from err
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {name!r} asked for, but CUDA is not available; use cpu or auto")
    return device


def autocast_context(device: torch.device, amp: AmpMode) -> contextlib.AbstractContextManager:
    """``torch.autocast`` for ``amp`` on CUDA; a no-op on other devices or with ``"none"``."""
    if amp == "none" or device.type != "cuda":
        return contextlib.nullcontext()
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device_type="cuda", dtype=dtype)


def build_grad_scaler(device: torch.device, amp: AmpMode) -> torch.amp.GradScaler:
    """Gradient scaler, enabled only for fp16 on CUDA (bf16 needs none)."""
    return torch.amp.GradScaler("cuda", enabled=amp == "fp16" and device.type == "cuda")


def move_batch(
    images: list[torch.Tensor], targets: list[dict[str, Any]], device: torch.device
) -> tuple[list[torch.Tensor], list[dict[str, Any]]]:
    """Copy images ``[3, H, W]`` and the tensor entries of each target to ``device``."""
    images = [image.to(device, non_blocking=True) for image in images]
    targets = [
        {k: v.to(device, non_blocking=True) if torch.is_tensor(v) else v for k, v in t.items()}
        for t in targets
    ]
    return images, targets


def train_one_epoch(
    model: nn.Module,
    loader: Iterable[Any],
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    device: torch.device,
    epoch: int,
    *,
    start_iteration: int = 0,
    max_iters: int | None = None,
    amp: AmpMode = "none",
    scaler: torch.amp.GradScaler | None = None,
    grad_clip: float | None = None,
    log_every: int = 20,
    metric_log: MetricLogger | None = None,
) -> EpochStats:
    """Train ``model`` for one pass over ``loader`` (or ``max_iters`` steps, if fewer).

    Args:
        model: a detector with ``losses(images, targets) -> dict[str, Tensor]``, or a
            segmenter with ``losses(images, masks) -> dict[str, Tensor]``.
        loader: yields ``Batch(images, targets, skipped_images, dropped_boxes)``;
            images ``Float[3, H, W]`` in [0, 1], targets with ``boxes`` (xyxy px)
            and ``labels``; or ``SegBatch(images Float[B, 3, H, W], masks Int64[B, H, W],
            skipped_images, ...)``. A batch whose images were all unreadable is skipped.
        optimizer: its ``step`` is called once per batch.
        scheduler: per-iteration scheduler, stepped after each optimizer step.
        device: where the model lives.
        epoch: 0-based epoch number (for the bar and the log).
        start_iteration: global iteration count before this epoch (log, errors).
        max_iters: stop after this many steps in this epoch; ``None`` = whole epoch.
        amp: ``"bf16"`` / ``"fp16"`` autocast on CUDA; ignored elsewhere.
        scaler: gradient scaler (fp16); ``None`` = plain backward.
        grad_clip: clip the global gradient norm to this value; ``None`` = no clipping.
        log_every: write a ``metric_log`` record every this many steps.
        metric_log: where to write ``{"type": "train", ...}`` records.

    Returns:
        The epoch's :class:`EpochStats`.

    Raises:
        NonFiniteLossError: a loss term is NaN or infinite (nothing is stepped).
    """
    model.train()
    stats, sums = EpochStats(), {}
    start = time.perf_counter()
    total = len(loader) if hasattr(loader, "__len__") else None
    if max_iters is not None and total is not None:
        total = min(total, max_iters)
    bar = progress(loader, desc=f"epoch {epoch}", total=total)
    for batch in bar:
        if max_iters is not None and stats.iterations >= max_iters:
            break  # only reached with max_iters == 0
        stats.skipped_images += int(batch.skipped_images)
        stats.dropped_boxes += int(getattr(batch, "dropped_boxes", 0))
        if len(batch.images) == 0:
            continue
        iteration = start_iteration + stats.iterations
        images, targets = _batch_on_device(batch, device)
        terms = _train_step(model, images, targets, optimizer, device, amp, scaler, grad_clip)
        _check_finite(terms, iteration)
        scheduler.step()
        stats.iterations += 1
        stats.images += len(images)
        for name, value in terms.items():
            sums[name] = sums.get(name, 0.0) + value
        elapsed = time.perf_counter() - start
        if hasattr(bar, "set_postfix"):
            bar.set_postfix(loss=f"{terms['loss']:.3f}", img_s=f"{stats.images / elapsed:.1f}")
        if metric_log is not None and (stats.iterations % max(log_every, 1) == 0):
            _log_step(metric_log, epoch, iteration, terms, optimizer, stats.images / elapsed)
        if max_iters is not None and stats.iterations >= max_iters:
            break
    stats.seconds = time.perf_counter() - start
    stats.losses = {name: value / max(stats.iterations, 1) for name, value in sums.items()}
    return stats


def _batch_on_device(batch: Any, device: torch.device) -> tuple[Any, Any]:
    """``(images, targets)`` of a detection ``Batch`` or ``(images, masks)`` of a ``SegBatch``."""
    if hasattr(batch, "masks"):  # SegBatch: stacked images [B, 3, H, W], masks [B, H, W]
        on_device = batch.to(device, non_blocking=True)
        return on_device.images, on_device.masks
    return move_batch(batch.images, batch.targets, device)


def _train_step(
    model: nn.Module,
    images: list[torch.Tensor] | torch.Tensor,
    targets: list[dict[str, Any]] | torch.Tensor,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
    amp: AmpMode,
    scaler: torch.amp.GradScaler | None,
    grad_clip: float | None,
) -> dict[str, float]:
    """Forward, backward and optimizer step; returns each loss term and ``loss`` as floats.

    The step is skipped (no backward) when the loss is not finite, so the caller
    can raise before the weights are touched.
    """
    with autocast_context(device, amp):
        loss_dict = model.losses(images, targets)
    loss = sum(loss_dict.values())
    terms = {name: float(value.detach()) for name, value in loss_dict.items()}
    terms["loss"] = float(loss.detach())
    if not all(math.isfinite(v) for v in terms.values()):
        return terms
    optimizer.zero_grad(set_to_none=True)
    if scaler is not None and scaler.is_enabled():
        scaler.scale(loss).backward()
        scaler.unscale_(optimizer)
        _clip(model, grad_clip)
        scaler.step(optimizer)
        scaler.update()
    else:
        loss.backward()
        _clip(model, grad_clip)
        optimizer.step()
    return terms


def _clip(model: nn.Module, grad_clip: float | None) -> None:
    if grad_clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=grad_clip)


def _check_finite(terms: dict[str, float], iteration: int) -> None:
    if not all(math.isfinite(value) for value in terms.values()):
        raise NonFiniteLossError(iteration, terms)


def _log_step(
    metric_log: MetricLogger,
    epoch: int,
    iteration: int,
    terms: dict[str, float],
    optimizer: torch.optim.Optimizer,
    images_per_second: float,
) -> None:
    record = {
        "type": "train",
        "epoch": epoch,
        "iteration": iteration,
        "lr": optimizer.param_groups[0]["lr"],
        "img_per_s": round(images_per_second, 2),
        **terms,
    }
    metric_log.log(record)
    logger.info(
        "epoch %d iter %d  loss %.4f  lr %.3g  %.1f img/s",
        epoch,
        iteration,
        terms["loss"],
        record["lr"],
        images_per_second,
    )
