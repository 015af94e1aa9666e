"""Distributed training on ``torch.distributed``, as launched by ``torchrun``.

``torchrun --nproc_per_node N tools/train.py CONFIG`` starts N processes with ``RANK``,
``LOCAL_RANK`` and ``WORLD_SIZE`` in their environment; :func:`init_distributed` reads them,
joins the process group (NCCL on CUDA, gloo on the CPU) and picks the process's device.
Without those variables (``python tools/train.py``) everything here is a no-op on one
process, so the training code has a single path.

The model trains inside ``DistributedDataParallel``, which only synchronises gradients of
calls that go through its ``forward``; :class:`LossForward` therefore makes ``forward`` call
``model.losses`` (the detseg training API).

Values the host holds (a flag such as "this process's batch is empty", counts, Python objects)
are exchanged over gloo even when the gradients go over NCCL: a NCCL collective needs a CUDA
tensor, and reading its result (``.item()``) waits until the GPU has run every kernel queued
before it. The training loop asks such questions a few times per step, so over NCCL they would
drain the GPU's queue a few times per step; over a gloo group of the same processes
(:func:`init_distributed` makes it) they cost a message between the processes.

What the processes do when one of them fails (every process raises the same line, a lost
process is one line of its own) is :mod:`~detseg.engine.runtime.failing_together`, built on
the collectives here. The dependency points one way: that module imports this one, this one
imports nothing of it. State that such a module keeps for the run's processes is dropped
when the run leaves its process group: the module registers a function with
:func:`call_on_destroy`, and :func:`destroy_distributed` calls it.
"""

from __future__ import annotations

import datetime
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.distributed as torch_dist
from torch import nn

from detseg.config import ConfigError
from detseg.engine.runtime.device import resolve_device
from detseg.engine.runtime.model_api import DetsegModel

logger = logging.getLogger(__name__)

#: The gloo group of every process beside a NCCL default group, for the collectives of host
#: values (see the module docstring); ``None`` on one process and where the default group is
#: gloo already (the CPU).
_host_group: torch_dist.ProcessGroup | None = None

#: What :func:`destroy_distributed` calls after leaving the process group: the functions that
#: modules built on this one registered (:func:`call_on_destroy`) to drop what they keep for
#: the run's processes.
_on_destroy: list[Callable[[], None]] = []


@dataclass(frozen=True)
class DistInfo:
    """Where this process stands in the run.

    Attributes:
        rank: global rank, 0 on the main process.
        world_size: number of processes (1 without ``torchrun``).
        local_rank: rank on this machine (the CUDA device index).
    """

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def enabled(self) -> bool:
        """More than one process: collectives are needed."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """Rank 0: the process that logs, shows progress and writes files."""
        return self.rank == 0


def init_distributed(device_name: str, timeout_s: float = 1800.0) -> tuple[DistInfo, torch.device]:
    """Join the process group when launched by ``torchrun``; pick this process's device.

    Args:
        device_name: the config's ``device`` (``auto``, ``cpu``, ``cuda``, ``cuda:N``). Under
            ``torchrun`` a CUDA device becomes ``cuda:LOCAL_RANK``.
        timeout_s: how long a collective may wait for the other processes.

    Returns:
        ``(DistInfo, device)``.

    Raises:
        ValueError: CUDA asked for but this machine has fewer GPUs than local processes.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistInfo(), resolve_device(device_name)
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(device_name)
    if device.type == "cuda":
        if local_rank >= torch.cuda.device_count():
            raise ValueError(
                f"local rank {local_rank} has no GPU ({torch.cuda.device_count()} visible); "
                "start at most one process per GPU (--nproc, or torchrun's --nproc_per_node), or "
                "set device=cpu"
            )
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(
            backend, timeout=datetime.timedelta(seconds=timeout_s), device_id=_device_id(device)
        )
    global _host_group
    if _needs_host_group(torch_dist.get_backend()):  # every process makes it, in one order
        _host_group = cast(
            torch_dist.ProcessGroup,
            torch_dist.new_group(backend="gloo", timeout=datetime.timedelta(seconds=timeout_s)),
        )
    info = DistInfo(rank=rank, world_size=world_size, local_rank=local_rank)
    logger.info("process %d of %d (%s, %s)", rank, world_size, backend, device)
    return info, device


def _device_id(device: torch.device) -> torch.device | None:
    return device if device.type == "cuda" else None


def _needs_host_group(backend: str) -> bool:
    """Whether a run on ``backend`` needs a gloo group of its own for host values."""
    return backend != "gloo"


def destroy_distributed(dist: DistInfo) -> None:
    """Leave the process group, and the gloo group beside it (a no-op on one process); then
    call every function registered with :func:`call_on_destroy` (on one process too), so that
    a later run in the same Python process starts with none of this run's state."""
    global _host_group
    if dist.enabled and torch_dist.is_initialized():
        torch_dist.destroy_process_group()  # every group
    _host_group = None
    for forget in _on_destroy:
        forget()


def call_on_destroy(forget: Callable[[], None]) -> None:
    """Have :func:`destroy_distributed` call ``forget()`` each time the run leaves its process
    group: how a module built on this one drops what it keeps for the run's processes
    (:mod:`~detseg.engine.runtime.failing_together` registers the forgetting of a kept
    failure when it is imported). A function registered twice is called once."""
    if forget not in _on_destroy:
        _on_destroy.append(forget)


def any_true(flag: bool, dist: DistInfo) -> bool:
    """``True`` on every process when ``flag`` is true on at least one (over gloo: no GPU
    synchronisation)."""
    return any_true_each((flag,), dist)[0]


def any_true_each(flags: Sequence[bool], dist: DistInfo) -> list[bool]:
    """For each of ``flags`` (the same number on every process): ``True`` on every process
    when it is true on at least one. One all-reduce of them all, over gloo (no GPU
    synchronisation)."""
    if not dist.enabled:
        return [bool(flag) for flag in flags]
    value = torch.tensor([1.0 if flag else 0.0 for flag in flags])
    torch_dist.all_reduce(value, op=torch_dist.ReduceOp.MAX, group=_host_group)
    return [flag > 0 for flag in value.tolist()]


def sum_across(values: torch.Tensor, dist: DistInfo) -> torch.Tensor:
    """Element-wise sum of ``values`` over the processes, over gloo (a CPU copy; the input is
    unchanged)."""
    if not dist.enabled:
        return values.clone()
    on_host = values.detach().to("cpu", copy=True)
    torch_dist.all_reduce(on_host, op=torch_dist.ReduceOp.SUM, group=_host_group)
    return on_host


def gather_to_main(obj: Any, dist: DistInfo) -> list[Any] | None:
    """The ``obj`` of every process, in rank order, on rank 0 (``None`` on the others)."""
    if not dist.enabled:
        return [obj]
    gathered: list[Any] | None = [None] * dist.world_size if dist.is_main else None
    torch_dist.gather_object(obj, gathered, dst=0, group=_host_group)
    return gathered


def all_gather(obj: Any, dist: DistInfo) -> list[Any]:
    """The ``obj`` of every process, in rank order, on every process."""
    if not dist.enabled:
        return [obj]
    gathered: list[Any] = [None] * dist.world_size
    torch_dist.all_gather_object(gathered, obj, group=_host_group)
    return gathered


def mean_across(values: dict[str, float], dist: DistInfo) -> dict[str, float]:
    """Each entry of ``values`` (e.g. ``{"loss": 0.7, ...}``) averaged over the processes that
    hold it: one gather of the dicts (call it on every process)."""
    reports = [report for report in all_gather(values, dist) if report]
    names = dict.fromkeys(name for report in reports for name in report)
    means = {}
    for name in names:
        held = [report[name] for report in reports if name in report]
        means[name] = sum(held) / len(held)
    return means


def broadcast_from_main(obj: Any, dist: DistInfo) -> Any:
    """Rank 0's ``obj`` on every process."""
    if not dist.enabled:
        return obj
    box = [obj]
    torch_dist.broadcast_object_list(box, src=0, group=_host_group)
    return box[0]


def broadcast_buffers(module: nn.Module, dist: DistInfo) -> None:
    """Copy rank 0's buffers (BatchNorm running statistics) to every process.

    DDP sends rank 0's buffers to the others at the start of each forward, so after the last
    training step each process holds the statistics of its own last batch; evaluating (or
    comparing) the replicas needs rank 0's.
    """
    if not dist.enabled:
        return
    for buffer in module.buffers():
        torch_dist.broadcast(buffer.data, src=0)


def barrier(dist: DistInfo) -> None:
    """Wait until every process gets here."""
    if dist.enabled:
        torch_dist.barrier()


class LossForward(nn.Module):
    """``forward(images, targets) = model.losses(images, targets)``, for DDP to wrap.

    Args:
        model: a detseg detector or segmenter.
    """

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: Any, targets: Any) -> dict[str, torch.Tensor]:
        return cast(DetsegModel, self.model).losses(images, targets)


def convert_sync_batchnorm(
    model: nn.Module, dist: DistInfo, device: torch.device, enabled: bool
) -> nn.Module:
    """``train.sync_bn``: BatchNorm layers share their batch statistics across processes.

    Frozen BatchNorm layers are left alone. Where the option changes nothing (one process, or
    a model without a trainable BatchNorm layer) a warning of rank 0 says so and the model is
    returned as it is.

    Raises:
        ConfigError: asked for on the CPU with several processes (SyncBatchNorm has CUDA
            kernels only).
    """
    if not enabled:
        return model
    if not any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules()):
        if dist.is_main:  # every process gets here: one warning for the run
            logger.warning(
                "train.sync_bn=true has no effect: the model has no trainable BatchNorm layer "
                "(frozen BatchNorm keeps fixed statistics); set train.sync_bn=false"
            )
        return model
    if not dist.enabled:
        logger.warning(
            "train.sync_bn=true has no effect on one process: each BatchNorm layer uses this "
            "process's batch, as with train.sync_bn=false. It applies to a multi-GPU run "
            "(--nproc N, or torchrun)."
        )
        return model
    if device.type != "cuda":
        raise ConfigError(
            "train.sync_bn needs CUDA devices (torch's SyncBatchNorm has no CPU kernel); "
            "set train.sync_bn=false for a CPU run"
        )
    return nn.SyncBatchNorm.convert_sync_batchnorm(model)


def wrap_for_training(
    model: nn.Module, dist: DistInfo, device: torch.device, find_unused_parameters: bool = False
) -> nn.Module:
    """The module whose ``forward(images, targets)`` returns the loss dict.

    One process: :class:`LossForward` around ``model``. Several: ``DistributedDataParallel``
    around that (gradients are averaged over the processes in ``backward``).
    """
    wrapped = LossForward(model)
    if not dist.enabled:
        return wrapped
    device_ids = [device.index] if device.type == "cuda" else None
    return nn.parallel.DistributedDataParallel(
        wrapped, device_ids=device_ids, find_unused_parameters=find_unused_parameters
    )
