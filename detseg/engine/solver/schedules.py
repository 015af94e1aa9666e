"""Learning-rate schedules: linear warmup followed by multistep, cosine, poly or constant decay.

The schedule is a per-iteration multiplier of the base learning rate, used
through ``torch.optim.lr_scheduler.LambdaLR`` (call ``scheduler.step()`` after
every optimizer step). The multiplier is a callable object (not a lambda) so the
scheduler's ``state_dict`` holds its settings as plain numbers and lists.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from detseg.choices.training_options import ScheduleName
from detseg.config import TrainConfig


class WarmupSchedule:
    """Learning-rate multiplier at iteration ``it`` (0-based).

    ``factor(it) = warmup(it) * decay(it)`` where

    - ``warmup(it) = warmup_factor + (1 - warmup_factor) * it / warmup_iters`` for
      ``it < warmup_iters``, else 1 (a linear ramp from ``warmup_factor`` to 1);
    - ``decay`` is ``gamma ** (number of milestones <= it)`` for ``"multistep"``,
      ``0.5 * (1 + cos(pi * it / total_iters))`` for ``"cosine"``,
      ``(1 - it / total_iters) ** power`` for ``"poly"`` (torchvision's segmentation
      reference: power 0.9, no warmup), 1 for ``"constant"``; ``it`` is capped at
      ``total_iters`` (the factor stays at its final value afterwards).

    Args:
        schedule: ``"multistep"``, ``"cosine"``, ``"poly"`` or ``"constant"``.
        total_iters: length of training in iterations (used by cosine and poly).
        milestones: iterations where multistep multiplies by ``gamma``.
        gamma: multistep decay factor.
        warmup_iters: length of the warmup ramp; 0 disables warmup.
        warmup_factor: multiplier at iteration 0.
        power: exponent of the poly decay.
    """

    def __init__(
        self,
        schedule: ScheduleName,
        total_iters: int,
        milestones: list[int] | tuple[int, ...] = (),
        gamma: float = 0.1,
        warmup_iters: int = 0,
        warmup_factor: float = 0.001,
        power: float = 0.9,
    ) -> None:
        if schedule not in ("multistep", "cosine", "poly", "constant"):
            raise ValueError(
                f"unknown schedule {schedule!r}; use 'multistep', 'cosine', 'poly' or 'constant'"
            )
        if power <= 0:
            raise ValueError(f"poly power must be > 0, got {power}")
        if total_iters < 1:
            raise ValueError(f"total_iters must be >= 1, got {total_iters}")
        if warmup_iters < 0:
            raise ValueError(f"warmup_iters must be >= 0, got {warmup_iters}")
        if list(milestones) != sorted(milestones):
            raise ValueError(f"milestones must be increasing, got {list(milestones)}")
        self.schedule = schedule
        self.total_iters = int(total_iters)
        self.milestones = [int(m) for m in milestones]
        self.gamma = float(gamma)
        self.warmup_iters = int(warmup_iters)
        self.warmup_factor = float(warmup_factor)
        self.power = float(power)

    def __call__(self, it: int) -> float:
        return self._warmup(it) * self._decay(it)

    def _warmup(self, it: int) -> float:
        if it >= self.warmup_iters:
            return 1.0
        alpha = it / self.warmup_iters
        return self.warmup_factor * (1.0 - alpha) + alpha

    def _decay(self, it: int) -> float:
        if self.schedule == "multistep":
            return self.gamma ** bisect.bisect_right(self.milestones, it)
        if self.schedule == "cosine":
            progress = min(it, self.total_iters) / self.total_iters
            return 0.5 * (1.0 + math.cos(math.pi * progress))
        if self.schedule == "poly":
            return (1.0 - min(it, self.total_iters) / self.total_iters) ** self.power
        return 1.0


def build_scheduler(
    optimizer: Optimizer,
    schedule: ScheduleName,
    iters_per_epoch: int,
    total_iters: int,
    milestones_epochs: list[int] | tuple[int, ...] = (),
    gamma: float = 0.1,
    warmup_iters: int = 0,
    warmup_factor: float = 0.001,
    power: float = 0.9,
) -> LambdaLR:
    """Per-iteration ``LambdaLR`` for ``optimizer``; milestones are given in epochs.

    Args:
        optimizer: the optimizer whose learning rates are scheduled.
        schedule: ``"multistep"``, ``"cosine"``, ``"poly"`` or ``"constant"``.
        iters_per_epoch: batches per epoch, converts milestone epochs to iterations.
        total_iters: number of optimizer steps of the whole run (cosine / poly length).
        milestones_epochs: epochs after which multistep multiplies the lr by ``gamma``.
        gamma: multistep decay factor.
        warmup_iters: linear warmup length in iterations (capped at ``total_iters``).
        warmup_factor: lr multiplier at the first iteration.
        power: exponent of the poly decay.
    """
    if iters_per_epoch < 1:
        raise ValueError(f"iters_per_epoch must be >= 1, got {iters_per_epoch} (empty dataset?)")
    lr_lambda = WarmupSchedule(
        schedule,
        total_iters=total_iters,
        milestones=[m * iters_per_epoch for m in milestones_epochs],
        gamma=gamma,
        warmup_iters=min(warmup_iters, total_iters),
        warmup_factor=warmup_factor,
        power=power,
    )
    return LambdaLR(optimizer, lr_lambda)


def run_iterations(train: TrainConfig, iters_per_epoch: int) -> int:
    """Optimizer steps of a whole run: ``train.epochs * iters_per_epoch``, or
    ``train.max_iters`` if that is smaller."""
    total_iters = train.epochs * iters_per_epoch
    if train.max_iters is not None:
        total_iters = min(total_iters, train.max_iters)
    return total_iters


def scheduler_from_config(
    optimizer: Optimizer, train: TrainConfig, iters_per_epoch: int
) -> LambdaLR:
    """:func:`build_scheduler` for a config's ``train`` section.

    The run lasts :func:`run_iterations` iterations (the cosine and poly schedules reach 0 at
    ``train.max_iters`` when that ends it).
    """
    total_iters = run_iterations(train, iters_per_epoch)
    return build_scheduler(
        optimizer,
        train.schedule,
        iters_per_epoch,
        max(total_iters, 1),
        train.milestones,
        train.gamma,
        train.warmup_iters,
        train.warmup_factor,
        train.power,
    )


def keep_saved_warmup(scheduler: LambdaLR, saved: dict[str, Any], warmup_iters: int) -> None:
    """Give a resumed run's ``scheduler`` the warmup its checkpoint's run had, where shorter.

    :func:`build_scheduler` caps the warmup at the run's length, so a run resumed with a
    longer schedule (``train.epochs`` or ``train.max_iters`` raised) would recompute a longer
    warmup and fall back into the ramp: the learning rate drops, a finished warmup starts
    again. The warmup of the saved run goes on instead (same config: nothing changes). A
    ``train.warmup_iters`` changed on resume (``warmup_iters`` differs from the saved
    config's) is the user's choice and applies as configured.

    Args:
        scheduler: the resumed run's schedule, built from the current config (before its
            position is restored).
        saved: the ``last.pt`` dict: ``saved["scheduler"]`` is ``LambdaLR.state_dict()`` (each
            ``lr_lambdas`` entry a :class:`WarmupSchedule`'s attributes), ``saved["config"]``
            the resolved config of the run that wrote it.
        warmup_iters: the current config's ``train.warmup_iters``.
    """
    if saved.get("config", {}).get("train", {}).get("warmup_iters") != warmup_iters:
        return
    saved_lambdas = saved.get("scheduler", {}).get("lr_lambdas") or []
    for lr_lambda, saved_lambda in zip(scheduler.lr_lambdas, saved_lambdas, strict=False):
        if isinstance(lr_lambda, WarmupSchedule) and isinstance(saved_lambda, dict):
            saved_warmup = saved_lambda.get("warmup_iters", lr_lambda.warmup_iters)
            lr_lambda.warmup_iters = min(lr_lambda.warmup_iters, int(saved_warmup))


def set_schedule_position(scheduler: LambdaLR, iteration: int) -> None:
    """Move ``scheduler`` to ``iteration`` (its ``last_epoch``): the learning rate of each
    parameter group (and ``get_last_lr()``) becomes the one its schedule gives there."""
    scheduler.last_epoch = iteration
    groups = scheduler.optimizer.param_groups
    for group, base_lr, lr_lambda in zip(
        groups, scheduler.base_lrs, scheduler.lr_lambdas, strict=True
    ):
        group["lr"] = base_lr * lr_lambda(iteration)
    scheduler._last_lr = [group["lr"] for group in groups]  # what get_last_lr() returns
