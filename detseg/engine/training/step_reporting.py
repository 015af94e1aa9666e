"""What the training loop shows and writes about its steps.

The epoch's progress bar (rank 0) with each step's loss, images per second and share of data
waiting; the ``train`` record of a logged step (``train.log_every``) in ``metrics.jsonl`` and its
log line (with ``gpu_util`` on CUDA where ``pynvml`` is installed); the host read of a logged
step's gradient norm. Kept apart from the loop, which only decides when to report.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any, Protocol

import torch

from detseg.engine.records.metric_log import progress
from detseg.engine.runtime.device import gpu_utilization
from detseg.engine.training.data_wait import DataWaitClock
from detseg.engine.training.loop_results import StepInfo
from detseg.engine.training.loop_settings import EpochPosition

logger = logging.getLogger(__name__)


class RecordLog(Protocol):
    """Where the ``train`` records go: a
    :class:`~detseg.engine.records.metric_log.MetricLogger`, or the run's
    :func:`~detseg.engine.training.epoch_training.step_record_log` around it."""

    def log(self, record: dict[str, Any]) -> None: ...


def epoch_bar(
    loader: Iterable[Any],
    epoch_len: int | None,
    position: EpochPosition,
    accumulate: int,
    is_main: bool,
) -> Iterable[Any]:
    """The epoch's progress bar (rank 0 only) over the batches this call will consume: those
    left in the epoch, at most ``max_iters`` groups of ``accumulate``."""
    total = None if epoch_len is None else epoch_len - position.start_batch
    if position.max_iters is not None and total is not None:
        total = min(total, position.max_iters * accumulate)
    return progress(loader, desc=f"epoch {position.epoch}", total=total, disable=not is_main)


def show_step(bar: Iterable[Any], info: StepInfo, rate: float, clock: DataWaitClock) -> None:
    """The step's loss, the images per second and the epoch's share of data waiting, on the
    progress bar."""
    if hasattr(bar, "set_postfix"):
        bar.set_postfix(
            loss=f"{info.terms['loss']:.3f}",
            img_s=f"{rate:.1f}",
            data_wait=f"{clock.epoch_share():.0%}",
        )


def read_norm(norm: float | torch.Tensor | None) -> float | None:
    """A step's gradient norm as a float (the host read of a device tensor: logged steps
    only)."""
    return float(norm) if isinstance(norm, torch.Tensor) else norm


def log_step(
    metric_log: RecordLog,
    info: StepInfo,
    throughput: dict[str, float],
    device: torch.device,
) -> None:
    """A ``train`` record of the step ``info`` (its loss terms, the learning rate it used and,
    where measured, its ``grad_norm`` before clipping) and its log line; ``throughput`` holds
    ``img_per_s`` (images per second over the epoch so far) and ``data_wait`` (share since the
    last record)."""
    epoch, iteration, terms = info.epoch, info.iteration, info.terms
    record: dict[str, Any] = {
        "type": "train",
        "epoch": epoch,
        "iteration": iteration,
        "lr": info.lr,
        "img_per_s": round(throughput["img_per_s"], 2),
        "data_wait": round(throughput["data_wait"], 4),
        **terms,
    }
    if isinstance(info.grad_norm, float):
        record["grad_norm"] = info.grad_norm
    utilization = gpu_utilization(device)
    gpu = ""
    if utilization is not None:
        record["gpu_util"] = utilization
        gpu = f"  GPU {utilization:.0f}%"
    metric_log.log(record)
    logger.info(
        "epoch %d iter %d  loss %.4f  lr %.3g  %.1f img/s  data wait %.0f%%%s",
        epoch,
        iteration,
        terms["loss"],
        record["lr"],
        throughput["img_per_s"],
        100 * throughput["data_wait"],
        gpu,
    )
