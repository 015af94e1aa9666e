"""Optimizers (SGD with momentum or AdamW) and the learning-rate scaling rule.

With ``no_decay_norm_bias`` the parameters of normalization layers (BatchNorm, GroupNorm,
LayerNorm, InstanceNorm) and every bias go into a second parameter group without weight decay
(decaying a scale or a shift towards 0 only fights the normalization; torchvision's
references offer the same as ``--norm-weight-decay 0``).

:func:`scaled_lr` applies the learning-rate scaling rule: ``train.lr`` is the rate tuned for an
effective batch of ``train.base_batch_size`` images per optimizer step; the run's effective
batch is ``batch_size * processes * accumulate``, and the rate is multiplied by
``effective / base`` (``linear``, Goyal et al. 2017), its square root (``sqrt``, common with
Adam), or left alone (``none``).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from detseg.choices.training_options import LrScaling, OptimizerName

#: Module types whose parameters are normalization scales and shifts.
NORM_TYPES: tuple[type[nn.Module], ...] = (
    nn.modules.batchnorm._BatchNorm,
    nn.GroupNorm,
    nn.LayerNorm,
    nn.modules.instancenorm._InstanceNorm,
)


def parameter_groups(
    model: nn.Module, weight_decay: float, no_decay_norm_bias: bool
) -> list[dict[str, object]]:
    """Trainable parameters split into optimizer groups.

    Returns:
        ``[{"params": decayed, "weight_decay": weight_decay}]``, plus
        ``{"params": norm and bias parameters, "weight_decay": 0.0}`` when
        ``no_decay_norm_bias`` (empty groups are left out).
    """
    decay: list[nn.Parameter] = []
    no_decay: list[nn.Parameter] = []
    seen: set[int] = set()
    for module in model.modules():
        for name, param in module.named_parameters(recurse=False):
            if not param.requires_grad or id(param) in seen:
                continue
            seen.add(id(param))
            exempt = no_decay_norm_bias and (isinstance(module, NORM_TYPES) or name == "bias")
            (no_decay if exempt else decay).append(param)
    groups: list[dict[str, object]] = [{"params": decay, "weight_decay": weight_decay}]
    if no_decay:
        groups.append({"params": no_decay, "weight_decay": 0.0})
    return [g for g in groups if g["params"]]


def build_optimizer(
    model: nn.Module,
    name: OptimizerName,
    lr: float,
    momentum: float = 0.9,
    weight_decay: float = 1e-4,
    no_decay_norm_bias: bool = False,
) -> torch.optim.Optimizer:
    """Optimizer over the parameters of ``model`` that require gradients.

    Args:
        model: the model to train (frozen parameters are left out).
        name: ``"sgd"`` (momentum SGD) or ``"adamw"`` (``momentum`` is then beta1).
        lr: base learning rate (the scheduler multiplies it).
        momentum: SGD momentum, or AdamW's first-moment decay.
        weight_decay: L2 penalty (SGD) or decoupled weight decay (AdamW).
        no_decay_norm_bias: no weight decay on normalization parameters and biases.
    """
    groups = parameter_groups(model, weight_decay, no_decay_norm_bias)
    if not groups:
        raise ValueError("the model has no trainable parameter (all requires_grad=False)")
    if lr <= 0:
        raise ValueError(f"learning rate must be > 0, got {lr}")
    fused = can_fuse(groups)
    if name == "sgd":
        return torch.optim.SGD(
            groups, lr=lr, momentum=momentum, weight_decay=weight_decay, fused=fused
        )
    if name == "adamw":
        return torch.optim.AdamW(
            groups, lr=lr, betas=(momentum, 0.999), weight_decay=weight_decay, fused=fused
        )
    raise ValueError(f"unknown optimizer {name!r}; use 'sgd' or 'adamw'")


#: Devices and dtypes with torch's fused SGD / AdamW kernels.
FUSED_DEVICES = ("cpu", "cuda")
FUSED_DTYPES = (torch.float32, torch.float64, torch.float16, torch.bfloat16)


def can_fuse(groups: list[dict]) -> bool:
    """Whether every parameter can take torch's fused update (one kernel for all tensors).

    The same update as the default per-tensor loop, in far fewer operations: one kernel over
    all tensors instead of several per tensor, which matters for small models with many
    tensors (the demo detector has ~200).
    """
    return all(
        p.device.type in FUSED_DEVICES and p.dtype in FUSED_DTYPES
        for group in groups
        for p in group["params"]
    )


def scaled_lr(
    lr: float,
    effective_batch_size: int,
    base_batch_size: int,
    rule: LrScaling,
) -> float:
    """``lr`` scaled from ``base_batch_size`` to ``effective_batch_size`` images per step.

    Raises:
        ValueError: a batch size below 1 or an unknown rule.
    """
    if effective_batch_size < 1 or base_batch_size < 1:
        raise ValueError(
            f"batch sizes must be >= 1 (effective {effective_batch_size}, "
            f"train.base_batch_size {base_batch_size})"
        )
    ratio = effective_batch_size / base_batch_size
    if rule == "none":
        return lr
    if rule == "linear":
        return lr * ratio
    if rule == "sqrt":
        return lr * math.sqrt(ratio)
    raise ValueError(f"unknown train.lr_scaling {rule!r}; use none, linear or sqrt")
