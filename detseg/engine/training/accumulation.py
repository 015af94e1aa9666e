"""Gradient accumulation: the group of batches being built, and one batch's forward and backward.

The batches of an epoch form groups of ``train.accumulate`` consecutive batches counted from the
epoch's start (:func:`group_of`); :func:`micro_step` runs one batch of a group (forward under
autocast, one host read of every loss term, backward with the loss divided by the group's
length) and adds its loss terms to the :class:`AccumulationGroup`. A non-finite loss stops the
run everywhere or marks the group as dropped (its buffers put back). The optimizer step that
closes a group is :mod:`~detseg.engine.training.optimizer_step`; both work with the call's
:class:`StepSetup`.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from detseg.engine.runtime.device import autocast_context, batch_on_device
from detseg.engine.runtime.distributed import DistInfo, all_gather, any_true
from detseg.engine.training.loop_settings import StepSettings
from detseg.engine.training.nonfinite_losses import BufferSnapshot, NonFiniteLossError

logger = logging.getLogger(__name__)


@dataclass
class AccumulationGroup:
    """The accumulation group being built."""

    terms: dict[str, float] = field(default_factory=dict)
    batches: int = 0
    length: int = 1  # batches the group spans (the last group of an epoch may be shorter)
    synced: bool = False  # the backward of the group's last batch ran (DDP all-reduced)
    images: int = 0
    image_ids: list[int] = field(default_factory=list)
    bad_terms: dict[str, float] | None = None


@dataclass
class StepSetup:
    """What every step of one :func:`train_one_epoch` call works with."""

    model: nn.Module
    train_model: Callable[..., dict[str, torch.Tensor]]
    optimizer: torch.optim.Optimizer
    device: torch.device
    scaler: torch.amp.GradScaler | None
    settings: StepSettings
    dist: DistInfo
    buffers: BufferSnapshot | None = None  # on_nonfinite="skip": restored for a dropped step


def group_of(position: int, accumulate: int, epoch_len: int | None) -> tuple[int, bool]:
    """``(length of the group of batch number position (1-based), is it the group's last)``.

    Groups are ``accumulate`` consecutive batches from the epoch's start; the last one of an
    epoch of ``epoch_len`` batches may be shorter.
    """
    group_start = (position - 1) // accumulate * accumulate
    group_len = accumulate if epoch_len is None else min(accumulate, epoch_len - group_start)
    return group_len, position - group_start == group_len


def _batch_ids(batch: Any) -> list[int]:
    """Image ids of a batch: every item asked for when the loader records them."""
    ids = getattr(batch, "source_ids", None)
    if ids is None:
        ids = getattr(batch, "image_ids", None) or []
    return [int(i) for i in ids]


def micro_step(
    s: StepSetup, batch: Any, group: AccumulationGroup, group_len: int, sync: bool, iteration: int
) -> int:
    """Forward and backward of one batch of the group (gradients summed into ``.grad``).

    Returns:
        The readable images of this batch left out because the batch of another process was
        all unreadable (0 otherwise): the loop counts them, as they are not trained on.
    """
    ids = _batch_ids(batch)
    group.image_ids.extend(ids)
    group.length = group_len
    if group.bad_terms is not None:  # the group is dropped already
        return 0
    # Every process must take the same path (DDP's backward is collective): a batch whose
    # images were all unreadable on one process is left out on all of them.
    if any_true(len(batch.images) == 0, s.dist):
        return len(batch.images)
    images, targets = batch_on_device(batch, s.device)
    if s.buffers is not None and group.batches == 0:  # the group's first forward
        s.buffers.save()
    no_sync = getattr(s.train_model, "no_sync", None)
    context = no_sync() if (no_sync is not None and not sync) else contextlib.nullcontext()
    with context:
        with autocast_context(s.device, s.settings.amp):
            loss_dict = _forward(s.train_model, images, targets, _fixed_input_size(s.model))
        loss = sum(loss_dict.values())
        assert isinstance(loss, torch.Tensor), "a model has at least one loss term"
        # one read of every term (one host synchronisation per step on a GPU, not one a term)
        values = torch.stack([v.detach().float() for v in (*loss_dict.values(), loss)]).tolist()
        terms = dict(zip([*loss_dict, "loss"], values, strict=True))
        bad = not all(math.isfinite(v) for v in terms.values())
        if any_true(bad, s.dist):
            _non_finite(s, group, terms if bad else None, ids, iteration)
            return 0
        if group.batches == 0:
            s.optimizer.zero_grad(set_to_none=True)
        scaled = loss / group_len
        if s.scaler is not None and s.scaler.is_enabled():
            scaled = s.scaler.scale(scaled)
        scaled.backward()
    group.batches += 1
    group.synced = sync
    group.images += len(batch.images)
    for name, value in terms.items():
        group.terms[name] = group.terms.get(name, 0.0) + value
    return 0


def _non_finite(
    s: StepSetup,
    group: AccumulationGroup,
    terms: dict[str, float] | None,
    ids: list[int],
    iteration: int,
) -> None:
    """Some process saw a non-finite loss: stop everywhere, or mark the group as dropped."""
    reports = [r for r in all_gather(None if terms is None else (terms, ids), s.dist) if r]
    if s.settings.on_nonfinite == "stop":
        bad_ids = [i for _, rank_ids in reports for i in rank_ids]
        raise NonFiniteLossError(iteration, reports[0][0], bad_ids)
    group.bad_terms = reports[0][0]
    if s.buffers is not None:  # undo what the group's forward passes did to the buffers
        s.buffers.restore()
    if not s.dist.is_main:  # every process knows; rank 0 tells
        return
    logger.warning(
        "non-finite loss at iteration %d (%s; image ids %s): step skipped",
        iteration,
        ", ".join(f"{k}={v:.6g}" for k, v in group.bad_terms.items()),
        [i for _, rank_ids in reports for i in rank_ids],
    )


#: The start of the error BatchNorm raises in training mode on one value per channel.
_ONE_VALUE_PER_CHANNEL = "Expected more than 1 value per channel when training"


def _fixed_input_size(model: nn.Module) -> bool:
    """Whether ``model`` resizes every image to one size (an SSD's or SSDlite's transform has a
    ``fixed_size``; so has a RetinaNet's with ``model.fixed_size``): larger images or crops do
    not change its feature maps."""
    model = getattr(model, "module", model)  # DDP
    transform = getattr(model, "transform", None)
    return getattr(transform, "fixed_size", None) is not None


def _forward(
    train_model: Callable[..., dict[str, torch.Tensor]],
    images: Any,
    targets: Any,
    fixed_size: bool = False,
) -> dict[str, torch.Tensor]:
    """``train_model(images, targets)``; BatchNorm's error on a single value per channel gets
    what to do (it names a tensor size, not the cause). The loader tops up an epoch's last
    batch of one image (:mod:`detseg.data.train_loader`), so a batch of one reaches the model
    only with ``train.batch_size`` 1 or where the other images of a batch were unreadable;
    a model of one input size (``fixed_size``) gets no advice about image or crop sizes."""
    try:
        return train_model(images, targets)
    except ValueError as err:
        if not str(err).startswith(_ONE_VALUE_PER_CHANNEL):
            raise
        advice = (
            "the model resizes every image to one size, so use train.batch_size >= 2"
            if fixed_size
            else "use train.batch_size >= 2, larger images or a larger crop in data.augmentations"
        )
        raise ValueError(
            f"{err}: a BatchNorm layer in training mode saw one value per channel (a batch of "
            "one image, from train.batch_size 1 or a batch whose other images were unreadable, "
            f"whose feature map shrank to 1 x 1); {advice}"
        ) from None
