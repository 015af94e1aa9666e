"""A resumed run whose batches or optimizer steps take another number of images goes on after
the same images.

- :func:`continue_epoch_at_same_images` moves the position inside the epoch to the batch after
  the same share of the epoch's images.
- :func:`continue_schedule_at_same_images` moves the learning-rate schedule to the same share of
  the run, in this run's optimizer steps (:func:`schedule_position`).
- :func:`saved_batching` reads the processes, batch size and accumulation of the saved run.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from detseg.engine.solver.schedules import set_schedule_position
from detseg.engine.training.run_state import RunState
from detseg.engine.training.training_run import TrainingRun

logger = logging.getLogger(__name__)


def saved_batching(saved: dict[str, Any], train: Any) -> tuple[int, int, int]:
    """``(processes, train.batch_size, train.accumulate)`` of the run that wrote ``saved`` (a
    checkpoint); a value its config lacks is taken from ``train`` (the current config's
    ``train`` section)."""
    saved_train = saved["config"].get("train")
    saved_train = saved_train if isinstance(saved_train, dict) else {}
    batch, accumulate = (
        value if isinstance(value, int) and value > 0 else current
        for value, current in (
            (saved_train.get("batch_size"), train.batch_size),
            (saved_train.get("accumulate"), train.accumulate),
        )
    )
    return int(saved.get("world_size", 1)), batch, accumulate


def continue_schedule_at_same_images(run: TrainingRun, saved: dict[str, Any]) -> None:
    """Move a resumed run's learning-rate schedule to the same share of the run, in this run's
    optimizer steps, when a step now takes another number of images (another number of
    processes, ``train.batch_size`` or ``train.accumulate``; call it after
    :func:`continue_epoch_at_same_images`): the schedule is counted in steps, and the saved
    step count would put a run with larger steps near (or past) the end of its shorter cosine,
    with a learning rate near 0 for the rest of the run. ``run.state.iteration`` keeps
    counting the steps done, whatever their size (the records, ``train.max_iters``): when
    ``train.max_iters`` ends the run before its epochs do, the schedule continues at the
    step that leaves it as many steps as the run has left (:func:`schedule_position`), so
    that it ends where the run ends. One warning (rank 0: every process moves the same way)
    says so.
    """
    train, state = run.cfg.train, run.state
    world, batch, accumulate = saved_batching(saved, train)
    images = run.dist.world_size * train.batch_size * train.accumulate
    if world * batch * accumulate == images:
        return
    steps_per_epoch = math.ceil(len(run.data.train_loader) / train.accumulate)
    position, counted = schedule_position(train, state, steps_per_epoch)
    saved_position = run.scheduler.last_epoch
    set_schedule_position(run.scheduler, position)
    if not run.dist.is_main:  # every process moves the same way; rank 0 tells
        return
    logger.warning(
        "last.pt was written with %d images per optimizer step, this run takes %d (processes x "
        "batch size x train.accumulate): the learning-rate schedule continues at step %d "
        "(%s, in this run's steps; the saved run was at step %d), not bit for bit",
        world * batch * accumulate,
        images,
        position,
        counted,
        saved_position,
    )


def schedule_position(train: Any, state: RunState, steps_per_epoch: int) -> tuple[int, str]:
    """The schedule step of a resumed run whose steps take another number of images than
    the saved run's, and what it is counted from (for the warning).

    The schedule lasts ``min(train.epochs * steps_per_epoch, train.max_iters)`` steps
    (:func:`~detseg.engine.solver.schedules.run_iterations`). The epochs end after the same
    images as before (the epoch continues after the same share of its images:
    ``state.epoch``, ``state.epoch_batches`` in this run's batches), ``train.max_iters`` after
    that many steps done in all (``state.iteration``, the saved run's steps included): the
    schedule continues as many steps before its end as the run has left until the first of
    the two.

    Args:
        train: the current config's ``train`` section.
        state: the resumed run's position, moved by :func:`continue_epoch_at_same_images`.
        steps_per_epoch: optimizer steps of an epoch of this run.
    """
    by_images = state.epoch * steps_per_epoch + math.ceil(state.epoch_batches / train.accumulate)
    until_epochs = train.epochs * steps_per_epoch - by_images
    where = f"epoch {state.epoch}, batch {state.epoch_batches}"
    if train.max_iters is None or train.max_iters - state.iteration >= until_epochs:
        return by_images, where
    length = min(train.epochs * steps_per_epoch, train.max_iters)
    left = max(train.max_iters - state.iteration, 0)
    return max(length - left, 0), (
        f"{left} step(s) before its end: train.max_iters={train.max_iters} counts the steps "
        f"done, {state.iteration} so far, whatever their size"
    )


def continue_epoch_at_same_images(run: TrainingRun, saved: dict[str, Any]) -> None:
    """Move a resumed run's position inside its epoch (``run.state.epoch_batches``, counted in
    batches of the run that wrote ``saved``) to the batch after the same share of the epoch's
    images, when the batches now hold another number of images (another number of processes
    or ``train.batch_size``): resumed at the saved batch count, the epoch would leave images
    out or train some twice. Under ``train.accumulate`` the position moves back to the start
    of its accumulation group (groups count from the epoch's start: a group begun half-way
    would step on fewer batches than it divides its loss by); the epoch's end stays its end.
    One warning (rank 0) says so (the result is then not bit for bit).
    """
    state, train = run.state, run.cfg.train
    if not state.epoch_batches:  # at an epoch's start: nothing to move
        return
    saved_world, saved_batch, saved_accumulate = saved_batching(saved, train)
    saved_images, images = saved_world * saved_batch, run.dist.world_size * train.batch_size
    epoch_len = len(run.data.train_loader)
    share = min(state.epoch_batches * saved_images // images, epoch_len)
    position = share if share == epoch_len else share - share % max(train.accumulate, 1)
    if position == state.epoch_batches:
        return
    moved = (
        f", moved back to the start of its train.accumulate={train.accumulate} group"
        if position != share
        else ""
    )
    state.epoch_batches = position
    if not run.dist.is_main:  # every process moves the same way; rank 0 tells
        return
    logger.warning(
        "last.pt was written with batches of %d images (%d processes x train.batch_size %d, "
        "train.accumulate=%d), this run's hold %d (%d x %d, train.accumulate=%d): the epoch "
        "continues at batch %d (after the same share of its images%s), not bit for bit",
        saved_images,
        saved_world,
        saved_batch,
        saved_accumulate,
        images,
        run.dist.world_size,
        train.batch_size,
        train.accumulate,
        position,
        moved,
    )
