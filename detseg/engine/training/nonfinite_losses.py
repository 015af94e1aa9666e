"""What training does about a NaN or infinite loss (or gradient).

With ``train.on_nonfinite: stop`` the step raises :class:`NonFiniteLossError`, whose message
names the iteration, every loss term and the batch's image ids. With ``skip`` the step's group
is dropped. A finite loss whose gradient norm is not finite (an infinite slope, e.g. a square
root at 0) is treated the same way where the norm is read on the host before the update: with
``skip``, and with ``train.grad_clip`` set on the CPU (on a GPU, ``stop`` leaves the clipped
norm unread, so a NaN gradient stops the run at the next step's NaN loss; fp16's gradient
scaler skips such steps itself); its terms then
carry ``grad_norm``. A dropped group's forward passes have already moved the model's buffers
(BatchNorm running statistics, perhaps to NaN), so a :class:`BufferSnapshot` taken before the
group's first forward puts them back.

A step now and then is what ``skip`` is for; most of an epoch's steps dropped means the model
has diverged (or the data is broken) and is hardly learning, while the run still ends with
exit code 0: :func:`warn_if_mostly_skipped` warns at the end of such an epoch, and
:func:`skipped_steps_summary` is the run summary's line with the run's share.
"""

from __future__ import annotations

import logging

import torch
from torch import nn

from detseg.engine.training.loop_results import EpochStats

logger = logging.getLogger(__name__)


class NonFiniteLossError(RuntimeError):
    """The loss (or the gradient) became NaN or infinite; the message names the iteration,
    every loss term and the image ids of the batch.

    Attributes:
        iteration: global iteration (0-based) of the bad step.
        loss_terms: value of each loss term at that step (and ``grad_norm`` for a gradient).
        image_ids: image ids of the bad batch (of every process whose batch was bad).
        what: ``"loss"``, or ``"gradient"`` for a finite loss whose gradient norm is not.
        done: what the epoch's call of ``train_one_epoch`` did before the bad step (its steps,
            skipped images and dropped boxes count in the run's totals), set by the loop;
            ``None`` when raised outside it.
    """

    def __init__(
        self,
        iteration: int,
        loss_terms: dict[str, float],
        image_ids: list[int] | None = None,
        *,
        checkpoint_kept: bool = True,
        what: str = "loss",
    ) -> None:
        self.iteration = iteration
        self.loss_terms = dict(loss_terms)
        self.image_ids = list(image_ids or [])
        self.what = what
        self.done: EpochStats | None = None
        terms = ", ".join(f"{name}={value:.6g}" for name, value in loss_terms.items())
        kept = (
            "the last good checkpoint is kept"
            if checkpoint_kept
            else "no checkpoint was written yet"
        )
        super().__init__(
            f"non-finite {what} at iteration {iteration}: {terms}; batch image ids "
            f"{self.image_ids}. Training stopped; {kept}. Try a lower train.lr, a longer "
            "train.warmup_iters or train.grad_clip, or train.on_nonfinite=skip."
        )

    def without_checkpoint(self) -> NonFiniteLossError:
        """The same error, saying that no checkpoint was written yet (a stop before the
        run's first save)."""
        err = NonFiniteLossError(
            self.iteration, self.loss_terms, self.image_ids, checkpoint_kept=False, what=self.what
        )
        err.done = self.done
        return err


class BufferSnapshot:
    """A copy of a model's buffers (BatchNorm ``running_mean`` / ``running_var`` /
    ``num_batches_tracked`` ...), taken before a step and put back when the step is dropped.

    Buffers are small next to the weights; the copies are made once and refilled in place
    (one ``torch._foreach_copy_``) by every later :meth:`save`.

    Args:
        model: the module whose buffers (all of them, floating-point or not) are saved.
    """

    def __init__(self, model: nn.Module) -> None:
        self.model = model
        self._live: list[torch.Tensor] = []
        self._saved: list[torch.Tensor] = []

    def save(self) -> None:
        """Copy the current buffer values (reusing the storage of the previous copy)."""
        live = [b for b in self.model.buffers() if b.numel() > 0]
        if live and _same_layout(live, self._saved):  # (a foreach op refuses empty lists)
            with torch.no_grad():
                torch._foreach_copy_(self._saved, live)
        else:  # first call, no buffers, or a buffer was replaced by one of another shape
            self._saved = [b.detach().clone() for b in live]
        self._live = live

    def restore(self) -> None:
        """Put the values of the last :meth:`save` back into the buffers."""
        if self._live:
            with torch.no_grad():
                torch._foreach_copy_(self._live, self._saved)


def _same_layout(a: list[torch.Tensor], b: list[torch.Tensor]) -> bool:
    """Tensors of equal shape, dtype and device, pairwise (can ``b`` take ``a``'s values?)."""
    return len(a) == len(b) and all(
        x.shape == y.shape and x.dtype == y.dtype and x.device == y.device
        for x, y in zip(a, b, strict=True)
    )


#: What to do about many skipped steps, in the warning and the summary.
ADVICE = (
    "lower train.lr (or a longer train.warmup_iters, train.grad_clip), check the data "
    "(detseg-check-data, tools/check_data.py), or set train.on_nonfinite=stop to stop at the "
    "first one"
)


def mostly_skipped(skipped: int, steps: int) -> bool:
    """More than half of ``steps`` optimizer steps were dropped."""
    return steps > 0 and 2 * skipped > steps


def warn_if_mostly_skipped(epoch: int, stats: EpochStats) -> None:
    """One warning at the end of an epoch of which more than half of the steps
    (``stats.iterations``, this call's) were dropped for a non-finite loss or gradient norm,
    naming the share
    and what to do."""
    skipped, steps = stats.skipped_steps, stats.iterations
    if not mostly_skipped(skipped, steps):
        return
    if skipped == steps:
        what = f"every step of epoch {epoch} ({steps}) was skipped"
    else:
        what = f"{skipped} of {steps} steps of epoch {epoch} ({skipped / steps:.0%}) were skipped"
    logger.warning(
        "%s for a non-finite loss or gradient norm: the model is hardly learning; %s", what, ADVICE
    )


def skipped_steps_summary(skipped: int, steps: int) -> str | None:
    """The summary's line on the run's steps dropped for a non-finite loss or gradient norm
    (``skipped`` of its
    ``steps``, the whole run's); ``None`` when none were. More than half adds what to do."""
    if skipped <= 0:
        return None
    share = f" ({skipped / steps:.0%})" if steps > 0 else ""
    line = f"Steps skipped for a non-finite loss or gradient norm: {skipped} of {steps}{share}."
    if mostly_skipped(skipped, steps):
        line += f" The model is hardly learning: {ADVICE}."
    return line
