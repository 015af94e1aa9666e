"""Exponential moving average (EMA) of a model's weights (``train.ema``).

After every optimizer step each floating-point entry of the state dict (parameters and
BatchNorm running statistics) moves towards the trained model's value::

    ema = d * ema + (1 - d) * value,   d = decay * (1 - exp(-updates / warmup))

The ramp ``1 - exp(-updates / warmup)`` keeps early averages from being dominated by the
random initial weights (as in Ultralytics' ModelEMA); ``warmup = 0`` uses ``decay`` from the
start. Integer entries (``num_batches_tracked``) are copied. The update is computed as
``ema + (1 - d) * (value - ema)`` (``lerp``), so an entry that does not change in the trained
model (a frozen weight, a constant buffer) stays exactly equal to it, and a tensor shared by
several names (tied weights) is averaged once per update. The EMA model is evaluated and
checkpointed alongside the trained one; it is the model ``best.pt`` holds when EMA is on.
"""

from __future__ import annotations

import copy
import math
from typing import Any

import torch
from torch import nn


class ModelEMA:
    """A frozen copy of ``model`` that follows its weights by exponential averaging.

    Args:
        model: the model being trained (not a DDP wrapper); copied at construction.
        decay: the long-run decay ``d`` in ``[0, 1)``.
        warmup: updates over which the decay ramps up (see the module docstring); 0 = none.

    Attributes:
        model: the averaged model, in eval mode, without gradients.
        updates: optimizer steps averaged so far.
    """

    def __init__(self, model: nn.Module, decay: float = 0.9998, warmup: int = 2000) -> None:
        if not 0.0 <= decay < 1.0:
            raise ValueError(f"train.ema_decay must be in [0, 1), got {decay}")
        if warmup < 0:
            raise ValueError(f"train.ema_warmup must be >= 0, got {warmup}")
        self.model = copy.deepcopy(model).eval()
        for param in self.model.parameters():
            param.requires_grad_(False)
        self.decay = decay
        self.warmup = warmup
        self.updates = 0

    def decay_at(self, updates: int) -> float:
        """The decay used by the ``updates``-th update (1-based)."""
        if self.warmup == 0:
            return self.decay
        return self.decay * (1.0 - math.exp(-updates / self.warmup))

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average one step towards ``model``'s current state."""
        self.updates += 1
        d = self.decay_at(self.updates)
        current = model.state_dict()
        done: set[int] = set()
        for name, averaged in self.model.state_dict(keep_vars=True).items():
            if id(averaged) in done:  # a tied tensor under a second name: averaged once
                continue
            done.add(id(averaged))
            value = current[name].detach()
            if averaged.is_floating_point():
                # ema + (1 - d) * (value - ema): an entry equal to the model's stays bit-exact
                averaged.data.lerp_(value.to(averaged.dtype), 1.0 - d)
            else:
                averaged.data.copy_(value)

    def state_dict(self) -> dict[str, Any]:
        """``{"model": averaged state dict, "updates": int}`` for ``last.pt``."""
        return {"model": self.model.state_dict(), "updates": self.updates}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` saved."""
        self.model.load_state_dict(state["model"])
        self.updates = int(state["updates"])
