"""Optimizers: SGD with momentum or AdamW over the trainable parameters."""

from __future__ import annotations

from typing import Literal

import torch
from torch import nn


def build_optimizer(
    model: nn.Module,
    name: Literal["sgd", "adamw"],
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 1e-4,
) -> torch.optim.Optimizer:
    """Optimizer over the parameters of ``model`` that require gradients.

    Args:
        model: the model to train (frozen parameters are left out).
        name: ``"sgd"`` (momentum SGD) or ``"adamw"`` (``momentum`` is then beta1).
        lr: base learning rate (the scheduler multiplies it).
        momentum: SGD momentum, or AdamW's first-moment decay.
        weight_decay: L2 penalty (SGD) or decoupled weight decay (AdamW).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("the model has no trainable parameter (all requires_grad=False)")
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0, got {lr}")
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr, momentum=momentum, weight_decay=weight_decay)
    if name == "adamw":
        return torch.optim.AdamW(params, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; use 'sgd' or 'adamw'")
