"""A tiny run of one epoch through the trainer's step bookkeeping (``end_of_step``, the run's
``train`` record log), for the tests of a write that fails inside a training step: a toy model
(one weight, loss ``(w - mean of the image)^2``), 4 batches of one image, a ``train`` record
every 2nd step, ``metrics.jsonl`` in the run's folder. In the two processes of
:func:`two_processes.run_two_processes` too (their ``sys.path`` takes ``tests/`` first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch
import torch.distributed as torch_dist
from fake_batches import FakeBatch, train_on_cpu
from torch import nn

from detseg.engine.records.run_records import RunRecords
from detseg.engine.runtime.distributed import DistInfo, wrap_for_training
from detseg.engine.training import StepSettings
from detseg.engine.training.epoch_training import end_of_step, step_record_log
from detseg.engine.training.loop_results import StepInfo
from detseg.engine.training.run_state import RunState
from detseg.engine.training.train_steps import writing_records

STEPS = 4


class Square(nn.Module):
    """``loss_a = (w - images[0].mean())^2``."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images: list[torch.Tensor], targets: Any) -> dict[str, torch.Tensor]:
        return {"loss_a": (self.w - images[0].mean()) ** 2}


def full_disk(*args: Any, **kwargs: Any) -> None:
    """A write on a full disk."""
    raise OSError(28, "No space left on device")


class FullTensorBoard:
    """A TensorBoard writer whose scalars find the disk full."""

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        full_disk()

    def close(self) -> None:
        pass


@dataclass
class FailingProfiler:
    """A profiler whose write after step ``fail_at`` finds the disk full."""

    fail_at: int

    def after_step(self, info: StepInfo) -> None:
        if info.iteration == self.fail_at:
            full_disk()


def make_run(work_dir: Path, dist: DistInfo) -> SimpleNamespace:
    """What ``end_of_step`` reads of a ``TrainingRun``; its records open (``metrics.jsonl`` on
    rank 0, no TensorBoard); a train loader of :data:`STEPS` batches (the epoch's length)."""
    train = SimpleNamespace(log_every=2, checkpoint_every=None, max_iters=None)
    return SimpleNamespace(
        cfg=SimpleNamespace(train=train),
        data=SimpleNamespace(train_loader=range(STEPS)),
        work_dir=work_dir,
        dist=dist,
        state=RunState(),
        records=RunRecords(work_dir, dist, tensorboard=False, debug_ranks=False).open(),
        stop=SimpleNamespace(requested=False, signum=None),
        after_step=None,
        profiler=None,
    )


def train(
    run: SimpleNamespace,
    model: nn.Module,
    train_model: nn.Module | None = None,
    after_step: Callable[[StepInfo], bool] | None = None,
) -> None:
    """One epoch of :data:`STEPS` steps, rank ``r``'s images all ``1 + r``; ``after_step``
    defaults to the run's ``end_of_step``."""
    batches = [FakeBatch([torch.full((3, 2, 2), 1.0 + run.dist.rank)]) for _ in range(STEPS)]
    train_on_cpu(
        model,
        batches,
        total_iters=STEPS,
        settings=StepSettings(log_every=2),
        train_model=train_model,
        dist=run.dist,
        metric_log=step_record_log(run),  # type: ignore[arg-type]
        after_step=after_step or (lambda info: end_of_step(run, info)),  # type: ignore[arg-type]
    )


def record_collectives() -> list[str]:
    """The names of the collectives this process calls from now on, in order (torch.distributed's
    ``all_reduce``, ``all_gather_object``, ``gather_object``, ``broadcast_object_list`` wrapped)."""
    calls: list[str] = []
    for name in ("all_reduce", "all_gather_object", "gather_object", "broadcast_object_list"):
        original = getattr(torch_dist, name)

        def recorded(
            *args: Any, _original: Any = original, _name: str = name, **kwargs: Any
        ) -> Any:
            calls.append(_name)
            return _original(*args, **kwargs)

        setattr(torch_dist, name, recorded)
    return calls


def train_counting_agreements(
    run: SimpleNamespace, calls: list[str], end_of_step: Callable[[Any, StepInfo], bool]
) -> list[list[str]]:
    """:func:`train` of a :class:`Square` wrapped for the run's processes, then the epoch's end
    record; the collectives of each step's bookkeeping (``end_of_step(run, info)``), from
    ``calls`` (:func:`record_collectives`)."""
    agreements: list[list[str]] = []

    def counted(info: StepInfo) -> bool:
        start = len(calls)
        stop = end_of_step(run, info)
        agreements.append(calls[start:])
        return stop

    model = Square()
    train(run, model, wrap_for_training(model, run.dist, torch.device("cpu")), counted)
    with writing_records(run):  # type: ignore[arg-type]  # the epoch's end
        run.records.log({"type": "epoch"})
    return agreements
