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
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import os
import pickle
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, cast

import torch
import torch.distributed as torch_dist
from torch import nn

from detseg.config import ConfigError
from detseg.engine.runtime.device import resolve_device
from detseg.engine.runtime.model_api import DetsegModel
from detseg.named_settings import NameOnly, SettingError

logger = logging.getLogger(__name__)

#: The gloo group of every process beside a NCCL default group, for the collectives of host
#: values (see the module docstring); ``None`` on one process and where the default group is
#: gloo already (the CPU).
_host_group: torch_dist.ProcessGroup | None = None

#: The first failure that :func:`deferring_failure` kept on this process, until the processes'
#: next agreement (:func:`agree_to_stop` or :func:`failing_together`) shares it.
_deferred: Exception | None = None


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


class PeerLostError(SettingError, RuntimeError):
    """Another process of the run ended while this one waited for it (in a collective or the
    gradient all-reduce). The message says so in one line; the other process's own output says
    why it ended. The resume it advises is a ``{resume}`` field
    (:class:`~detseg.named_settings.SettingError`): ``resume=True`` to
    :func:`detseg.engine.train`, ``--resume`` to ``tools/train.py``.

    Attributes:
        exit_code: the exit code of the command (1: not this process's fault, and not a user
            error of its own, see :func:`~detseg.command_line.run_command`).
    """

    exit_code = 1


class SharedFailure(Exception):
    """A failure of one process whose message is the one line that every process of the run
    raises for it, with the same type (a subclass names what failed), where the processes
    agree (:func:`failing_together`, :func:`agree_to_stop`); the process where it happened
    raises it itself."""


#: Parts of the messages of gloo and NCCL when the process at the other end has gone.
_PEER_LOST_MESSAGES = (
    "Connection closed by peer",
    "Connection reset by peer",
    "Broken pipe",
    "NCCL communicator was aborted",
    "remote process exited",
)


def peer_lost(error: BaseException, dist: DistInfo) -> PeerLostError | None:
    """The :class:`PeerLostError` that ``error`` stands for, or ``None``: an error of the
    collectives of a multi-process run whose message says that the other end has gone."""
    text = str(error)
    cause = next((part for part in _PEER_LOST_MESSAGES if part in text), None)
    if not dist.enabled or cause is None:
        return None
    return PeerLostError(
        f"process {dist.rank} of {dist.world_size}: another process of the run ended "
        f"({cause}); its own output says why. Checkpoints already written are kept: fix the "
        "cause and continue with {resume}",
        resume=NameOnly("resume=True"),
    )


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
    """Leave the process group, and the gloo group beside it (a no-op on one process)."""
    global _host_group, _deferred
    if dist.enabled and torch_dist.is_initialized():
        torch_dist.destroy_process_group()  # every group
    _host_group = _deferred = None


def any_true(flag: bool, dist: DistInfo) -> bool:
    """``True`` on every process when ``flag`` is true on at least one (over gloo: no GPU
    synchronisation)."""
    if not dist.enabled:
        return bool(flag)
    value = torch.tensor([1.0 if flag else 0.0])
    torch_dist.all_reduce(value, op=torch_dist.ReduceOp.MAX, group=_host_group)
    return bool(value.item() > 0)


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


@contextlib.contextmanager
def failing_together(dist: DistInfo, error_type: Callable[[str], Exception]) -> Iterator[None]:
    """Around a step that each process takes on its own, with no collective inside (rank 0
    writing a file, each process loading its random state): when the step raises on any
    process, every process raises once all of them are through it, with one and the same line,
    instead of the others going on to wait at their next collective for the one that failed.

    The line is the message of the lowest rank that failed (on one line); an exception that is
    no user error of :data:`detseg.command_line.USER_ERRORS` (a ``KeyError`` of a damaged
    state, say) is named with its type and process instead. That process raises its own user
    error; every other process raises a copy of it where it pickles whole (an ``OSError``
    with its ``errno`` and file: :func:`_travelling_copy`), else a new one of its type where
    the type rebuilds it from the line alone (a ``ValueError``: ``except ValueError`` holds on
    every process, :func:`_rebuilt_type`), and ``error_type(line)`` otherwise (an
    ``ImageReadError``, made from a path and a reason; a bug's line), from the process's own
    error where it failed too (``DETSEG_TRACEBACK=1`` shows it); a
    :class:`~detseg.named_settings.SettingError` (a ``ConfigError``, a ``ResumeError`` ...) is
    raised again with its own type and settings: ``str(error)`` names them as a Python caller
    gave them and ``error.naming(flags)`` as a tool's flags, on every process. On one process
    the step's exception simply passes. A failure that :func:`deferring_failure` kept on a
    process since the processes last agreed counts as that process's failure here (before one
    of the block, which came later).

    Args:
        dist: this process's place in the run; every process enters the block.
        error_type: the user error the other processes raise where the failure's own type
            cannot be rebuilt from its line (e.g. ``WorkDirError``); a :class:`SharedFailure`
            keeps its own type.
    """
    if not dist.enabled:
        yield
        return
    failure: Exception | None = None
    try:
        yield
    except Exception as err:
        failure = err
    deferred = _take_deferred()
    failure = failure if deferred is None else deferred  # the earlier one
    _raise_together(failure, dist, error_type)


@contextlib.contextmanager
def deferring_failure(dist: DistInfo) -> Iterator[None]:
    """Around a step that one process takes on its own between two collectives of a training
    step (rank 0 writing the step's record or its TensorBoard scalars): a failure there is kept,
    and the process goes on as if the step had passed, taking part in the collectives that
    follow, until the processes' next agreement shares it: :func:`agree_to_stop` (once a
    training step, no collective of its own) or, where none comes first, the next
    :func:`failing_together`. There every process raises with one and the same line, as
    :func:`failing_together` says; none stops alone while the others wait for it.

    The first failure is kept; a later one before the agreement is dropped (the same cause,
    most often: a full disk fails every write). On one process the exception simply passes.
    """
    global _deferred
    if not dist.enabled:
        yield
        return
    try:
        yield
    except Exception as err:
        if _deferred is None:
            _deferred = err
        else:
            logger.debug("a further failure before the processes agree: %s", err)


def agree_to_stop(requested: bool, dist: DistInfo, error_type: Callable[[str], Exception]) -> bool:
    """``True`` on every process when a stop was ``requested`` on at least one; first, every
    process raises when one of them kept a failure (:func:`deferring_failure`).

    One all-reduce of the two flags over gloo (as :func:`any_true`); only when a failure was
    kept does a gather of its line follow.

    Raises:
        Exception: the kept failure, the same line on every process (see
            :func:`failing_together`; ``error_type(line)`` on the processes other than the one
            whose own user error it is).
    """
    if not dist.enabled:
        return bool(requested)
    failure = _take_deferred()
    value = torch.tensor([1.0 if requested else 0.0, 0.0 if failure is None else 1.0])
    torch_dist.all_reduce(value, op=torch_dist.ReduceOp.MAX, group=_host_group)
    stop, failed = (bool(flag > 0) for flag in value.tolist())
    if failed:
        _raise_together(failure, dist, error_type)
    return stop


def _take_deferred() -> Exception | None:
    """The failure that :func:`deferring_failure` kept on this process (now no longer kept)."""
    global _deferred
    failure, _deferred = _deferred, None
    return failure


def _raise_together(
    failure: Exception | None, dist: DistInfo, error_type: Callable[[str], Exception]
) -> None:
    """Every process raises the line of the lowest rank whose ``failure`` is not ``None``, or
    none of them raises (one gather; see :func:`failing_together`); a :class:`SharedFailure`
    and a user error that travels whole or whose type rebuilds it from the line are raised
    with their own type, anything else as ``error_type``."""
    own_line = failure is not None and (
        _is_user_error(failure) or isinstance(failure, SharedFailure)
    )
    line = None if failure is None else _failure_line(failure, own_line, dist)
    shared: type[Exception] | None = None
    copy: Exception | None = None
    if isinstance(failure, SharedFailure):
        shared = type(failure)
    elif own_line and failure is not None and line is not None:
        copy = _travelling_copy(failure, line)
        shared = None if copy is not None else _rebuilt_type(failure, line)
    named = _named_settings(failure) if own_line else None
    reports = all_gather(None if line is None else (line, shared, named, copy), dist)
    failed = next((rank for rank, report in enumerate(reports) if report is not None), None)
    if failed is None:
        return
    if failed == dist.rank and own_line and isinstance(failure, SettingError):
        raise failure  # the others rebuild it from its template and settings, as they are
    if failed == dist.rank and failure is not None and own_line and line == str(failure):
        raise failure  # its message is the line already
    failed_line, failed_type, failed_named, failed_copy = reports[failed]
    if failed_named is not None:
        kind, template, settings = failed_named
        raise kind(template, **settings) from failure
    if failed_copy is not None:
        raise failed_copy from failure
    raise (failed_type or error_type)(failed_line) from failure


def _named_settings(
    error: Exception | None,
) -> tuple[type[SettingError], str, dict[str, Any]] | None:
    """What every process rebuilds a :class:`~detseg.named_settings.SettingError` from: its
    type, its message's template as it is (the runs of spaces of a path in it kept) and its
    settings (``type(template, **settings)`` names them as its caller gave them, keyword or
    flag); ``None`` for any other error, which the others raise as the line alone. The process
    that raised it raises it itself."""
    if not isinstance(error, SettingError):
        return None
    return type(error), error.template, dict(error.settings)


def _travelling_copy(error: Exception, line: str) -> Exception | None:
    """A copy of ``error`` that the other processes raise as it is, where it pickles and comes
    back whole: of its type, with ``line`` as its message. An ``OSError`` keeps its ``errno``
    and ``filename`` this way (``PermissionError(13, 'Permission denied', path)``), which a
    tool's message reads (:func:`~detseg.command_line.run_command` names its ``--out``), so
    that every process prints the same line. ``None`` for a
    :class:`~detseg.named_settings.SettingError` (:func:`_named_settings`) and for an error
    that does not come back whole (:func:`_rebuilt_type` then)."""
    if isinstance(error, SettingError):
        return None
    try:  # the processes share the classes: what comes back here comes back there
        copy = pickle.loads(pickle.dumps(error))
    except Exception:  # noqa: BLE001 - any __reduce__, any constructor
        return None
    return copy if type(copy) is type(error) and str(copy) == line else None


def _rebuilt_type(error: Exception, line: str) -> type[Exception] | None:
    """The type of ``error`` when the other processes can raise it again from ``line`` alone:
    ``type(error)(line)`` is of that type with ``line`` as its message, and the type travels
    to them (it pickles: a class of a module, not of a function). ``None`` otherwise (a type
    made from more than a message, an ``ImageReadError(path, reason)``; a ``KeyError``, whose
    message quotes its argument), and for a :class:`~detseg.named_settings.SettingError`,
    which travels with its settings (:func:`_named_settings`)."""
    if isinstance(error, SettingError):
        return None
    kind = type(error)
    try:
        rebuilt = kind(line)
        pickle.dumps(kind)
    except Exception:  # any constructor, any class: those that fail are sent as error_type
        return None
    return kind if type(rebuilt) is kind and str(rebuilt) == line else None


def _is_user_error(error: Exception) -> bool:
    """Whether ``error`` is one of :data:`detseg.command_line.USER_ERRORS` (a one-line message
    meant for the user)."""
    from detseg.command_line import USER_ERRORS

    return isinstance(error, USER_ERRORS)


def _failure_line(error: Exception, own_line: bool, dist: DistInfo) -> str:
    """The one line that every process of the run raises for ``error``, raised in this one
    (see :func:`failing_together`): its message where ``own_line`` (a user error, a
    :class:`SharedFailure`)."""
    message = " ".join(str(error).split())
    if own_line and message:
        return message
    return (
        f"process {dist.rank} of {dist.world_size} failed with {type(error).__name__}: "
        f"{message or '(no message)'} (DETSEG_TRACEBACK=1 shows where)"
    )


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
