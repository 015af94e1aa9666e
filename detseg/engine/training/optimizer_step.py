"""The optimizer step that closes an accumulation group.

:func:`finish_step` completes the group's gradient (batches left out for unreadable images),
unscales, measures and clips it, checks a measured norm for a non-finite value (the group is
then dropped as a non-finite loss is), steps the optimizer (or fp16's scaler), the
per-iteration scheduler and the EMA. Kept apart from the forward and backward of the group's
batches (:mod:`~detseg.engine.training.accumulation`) because this is where the host reads of
the gradient norm are decided (:func:`_clip_or_measure`).
"""

from __future__ import annotations

import logging
import math
import warnings
from typing import Any

import torch
from torch import nn

from detseg.engine.runtime.distributed import DistInfo, all_gather, any_true, sum_across
from detseg.engine.training.accumulation import AccumulationGroup, StepSetup
from detseg.engine.training.loop_results import StepInfo
from detseg.engine.training.loop_settings import StepSettings
from detseg.engine.training.nonfinite_losses import NonFiniteLossError
from detseg.ops.padding import host_reads_are_free

logger = logging.getLogger(__name__)


def finish_step(
    s: StepSetup,
    group: AccumulationGroup,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    ema: Any | None,
    epoch: int,
    iteration: int,
    epoch_batches: int,
) -> StepInfo:
    """Optimizer step (or the drop of a bad group), scheduler step, EMA update.

    The returned :class:`StepInfo` carries the learning rate this step used, read before
    ``scheduler.step()`` sets the next iteration's.
    """
    lr = float(s.optimizer.param_groups[0]["lr"])
    if group.bad_terms is not None:
        s.optimizer.zero_grad(set_to_none=True)
        _schedule_past(scheduler)
        return StepInfo(
            epoch, iteration, epoch_batches, group.bad_terms, group.image_ids, True, lr=lr
        )
    _complete_gradients(s, group)
    terms = {name: value / group.batches for name, value in group.terms.items()}
    norm: float | torch.Tensor | None
    if s.scaler is not None and s.scaler.is_enabled():
        s.scaler.unscale_(s.optimizer)
        norm = _clip(s.model, s.settings.grad_clip)  # a device tensor, not read here
        s.scaler.step(s.optimizer)  # (skips a step whose gradients are not finite)
        s.scaler.update()
    else:
        norm = _clip_or_measure(s.model, s.settings)  # measured on every process or none
        if isinstance(norm, float) and any_true(not math.isfinite(norm), s.dist):
            _drop_non_finite_gradient(s, group, {**terms, "grad_norm": norm}, iteration)
            _schedule_past(scheduler)
            bad: dict[str, float] = group.bad_terms or {}
            return StepInfo(
                epoch, iteration, epoch_batches, bad, group.image_ids, True, lr=lr, grad_norm=norm
            )
        s.optimizer.step()
    scheduler.step()
    if ema is not None:
        ema.update(s.model)
    return StepInfo(epoch, iteration, epoch_batches, terms, group.image_ids, lr=lr, grad_norm=norm)


def _schedule_past(scheduler: torch.optim.lr_scheduler.LRScheduler) -> None:
    """``scheduler.step()`` for a dropped step: the schedule moves on without an update (no
    rate is lost, ``LambdaLR`` computes it from the iteration), so torch's warning about a
    scheduler stepped before its optimizer (when the run's first steps are dropped) is
    silenced."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Detected call of `lr_scheduler\.step\(\)`")
        scheduler.step()


def _clip_or_measure(model: nn.Module, settings: StepSettings) -> float | torch.Tensor | None:
    """The global L2 norm of the gradients, clipped to ``settings.grad_clip`` when set;
    measured without clipping under ``on_nonfinite="skip"``; ``None`` (not measured: no host
    read) otherwise.

    The norm is read on the host (a float, checked for a non-finite gradient before the
    update) under ``"skip"``, which must drop such a step, and where host reads are free (the
    CPU). With ``grad_clip`` under ``"stop"`` on a GPU it stays an unread device tensor, read on
    logged steps only: no host synchronisation per step (a NaN gradient then shows as a NaN
    loss at the next step, which stops the run)."""
    if settings.grad_clip is not None:
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        if settings.on_nonfinite != "skip" and not host_reads_are_free(norm.device):
            return norm
        return float(norm)
    if settings.on_nonfinite != "skip":
        return None
    grads = [p.grad for p in model.parameters() if p.grad is not None]
    return float(torch.nn.utils.get_total_norm(grads)) if grads else 0.0


def _drop_non_finite_gradient(
    s: StepSetup, group: AccumulationGroup, terms: dict[str, float], iteration: int
) -> None:
    """A finite loss with a non-finite gradient norm (``terms["grad_norm"]``): stop everywhere,
    or drop the group as a non-finite loss is dropped (no update, buffers put back)."""
    ids = [i for rank_ids in all_gather(group.image_ids, s.dist) for i in rank_ids]
    if s.settings.on_nonfinite == "stop":
        raise NonFiniteLossError(iteration, terms, ids, what="gradient")
    s.optimizer.zero_grad(set_to_none=True)
    group.bad_terms = terms
    if s.buffers is not None:
        s.buffers.restore()
    if s.dist.is_main:
        logger.warning(
            "non-finite gradient norm at iteration %d (%s; image ids %s): step skipped",
            iteration,
            ", ".join(f"{k}={v:.6g}" for k, v in terms.items()),
            ids,
        )


def _complete_gradients(s: StepSetup, group: AccumulationGroup) -> None:
    """The gradient of a group some of whose batches were left out (all their images
    unreadable, on some process) or never came (the last group of a loader without a length,
    whose batches divided their loss by ``train.accumulate``).

    Each batch's loss was divided by the group's length, so the sum over the batches that ran
    is rescaled to their mean (the gradient of the batches trained on, as a full group's is).
    Under DDP the batch left out may be the group's last, the one whose backward all-reduces:
    the gradients are then averaged over the processes here (every process left out the same
    batches, so all of them take this path), in one all-reduce (:func:`average_over_processes`).
    """
    if group.batches == group.length:
        return
    params = [p for p in s.model.parameters() if p.requires_grad]
    if not group.synced and s.dist.enabled and hasattr(s.train_model, "no_sync"):
        # a gradient some process lacks counts as zeros there, as DDP's reduction does
        has_grad = torch.tensor([float(p.grad is not None) for p in params])
        present = sum_across(has_grad, s.dist) > 0
        for p, needed in zip(params, present.tolist(), strict=True):
            if needed and p.grad is None:
                p.grad = torch.zeros_like(p)
        average_over_processes([p.grad for p in params if p.grad is not None], s.dist)
    grads = [p.grad for p in params if p.grad is not None]
    if grads:
        torch._foreach_mul_(grads, group.length / group.batches)


def average_over_processes(grads: list[torch.Tensor], dist: DistInfo) -> None:
    """Average ``grads`` (dense tensors of any shapes, the same list on every process) over
    the processes, in place: one all-reduce of a flat copy per dtype and device (one for a
    model of one dtype, as DDP's buckets; not one per tensor), the same sums as an all-reduce
    of each tensor. The copy costs the gradients' size in memory while it lasts."""
    kinds: dict[tuple[torch.dtype, torch.device], list[torch.Tensor]] = {}
    for grad in grads:
        kinds.setdefault((grad.dtype, grad.device), []).append(grad)
    for same_kind in kinds.values():
        flat = torch.cat([grad.reshape(-1) for grad in same_kind])
        torch.distributed.all_reduce(flat)
        flat.div_(dist.world_size)
        parts = flat.split([grad.numel() for grad in same_kind])
        for grad, part in zip(same_kind, parts, strict=True):
            grad.copy_(part.view_as(grad))


def _clip(model: nn.Module, grad_clip: float | None) -> torch.Tensor | None:
    """Clip the global gradient norm to ``grad_clip`` (when set); returns the norm before
    clipping as a 0-d tensor on the gradients' device (unread: no host synchronisation)."""
    if grad_clip is None:
        return None
    return torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=grad_clip)
