"""The backbone contract and the helpers every backbone shares.

A backbone is an ``nn.Module`` whose ``forward(x)`` takes images ``Float[B, 3, H, W]``
(already normalised) and returns an ``OrderedDict[str, Tensor]`` of feature maps, ordered
from the highest resolution to the lowest. Two dict attributes describe the outputs, with
the same keys in the same order:

- ``out_channels[name]``: channels of that feature map.
- ``strides[name]``: the input-to-feature downsampling factor.

Level names: plain backbones output ``c<k>`` (for ResNet and MobileNet ``c<k>`` has stride
``2**k``; for VGG ``c<k>`` is the output of conv block ``k``, see ``vgg.py``); an FPN on top
outputs ``p<k>`` (see ``fpn.py``).

Norm choices (the ``norm`` argument of every builder):

- ``"frozen_bn"``: ``torchvision.ops.FrozenBatchNorm2d`` (affine and statistics are buffers,
  never updated; what torchvision's detection models use).
- ``"bn"``: the trainable ``nn.BatchNorm2d`` the torchvision classifier was built with.
- a callable ``norm_layer(num_features) -> nn.Module`` (ResNet, MobileNet only), passed to the
  torchvision constructor unchanged.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from typing import Literal, get_args

from torch import Tensor, nn
from torch.nn.modules.batchnorm import _NormBase  # BatchNorm*d, SyncBatchNorm, InstanceNorm*d
from torchvision.ops import FrozenBatchNorm2d

from .weights import WeightsSpec

logger = logging.getLogger(__name__)

#: The norm layers a backbone is built with by name: torchvision's frozen BatchNorm (fine-tuning
#: with small batches) or a trainable BatchNorm.
NormName = Literal["frozen_bn", "bn"]
NormSpec = str | Callable[..., nn.Module]
NORM_CHOICES: tuple[str, ...] = get_args(NormName)


class Backbone(nn.Module):
    """Base class: declares ``out_channels`` and ``strides`` (see the module docstring).

    Subclasses fill both dicts in ``__init__`` and implement ``forward``.
    """

    out_channels: dict[str, int]
    strides: dict[str, int]

    def __init__(self) -> None:
        super().__init__()
        self.out_channels = {}
        self.strides = {}


def check_norm(norm: NormSpec, allow_callable: bool = True) -> None:
    """Raise ``ValueError`` unless ``norm`` is ``"frozen_bn"``, ``"bn"`` or an allowed callable."""
    if isinstance(norm, str) and norm in NORM_CHOICES:
        return
    if allow_callable and callable(norm) and not isinstance(norm, str):
        return
    extra = " or a norm_layer callable" if allow_callable else ""
    raise ValueError(f"norm={norm!r} is not supported: use one of {NORM_CHOICES}{extra}.")


def check_return_layers(
    return_layers: Sequence[str], available: Sequence[str], backbone: str
) -> list[str]:
    """Validate the requested level names and return them in network order.

    A single string is taken as one level name.

    Args:
        return_layers: requested level names, e.g. ``("c3", "c4", "c5")``.
        available: every level name the backbone can return, in network order.
        backbone: backbone name, used in the error message.

    Returns:
        The requested names, in the order of ``available``.

    Raises:
        ValueError: if ``return_layers`` is empty, or names a level the backbone lacks.
    """
    if isinstance(return_layers, str):
        return_layers = [return_layers]
    if len(return_layers) == 0:
        raise ValueError(f"{backbone}: return_layers is empty; choose some of {list(available)}.")
    unknown = [name for name in return_layers if name not in available]
    if unknown:
        raise ValueError(
            f"{backbone}: unknown return_layers {unknown}; choose from {list(available)}."
        )
    return [name for name in available if name in return_layers]


def check_trainable_layers(trainable_layers: int | None, max_value: int, backbone: str) -> int:
    """Return ``trainable_layers`` (``None`` -> ``max_value``: everything trains).

    Raises:
        ValueError: if the value is outside ``0..max_value``.
    """
    if trainable_layers is None:
        return max_value
    if not 0 <= int(trainable_layers) <= max_value:
        raise ValueError(
            f"{backbone}: trainable_layers={trainable_layers} is outside 0..{max_value} "
            f"(0 freezes every stage, {max_value} trains every stage)."
        )
    return int(trainable_layers)


def freeze_modules(modules: Iterable[nn.Module]) -> None:
    """Set ``requires_grad=False`` on every parameter of ``modules``."""
    for module in modules:
        for parameter in module.parameters():
            parameter.requires_grad_(False)


def to_frozen_batch_norm(module: nn.Module) -> nn.Module:
    """Replace every ``nn.BatchNorm2d`` inside ``module`` by an equal ``FrozenBatchNorm2d``.

    The frozen copy keeps ``weight``, ``bias``, ``running_mean``, ``running_var`` and ``eps``,
    so in eval mode the output is unchanged; state-dict keys stay the same (minus
    ``num_batches_tracked``).

    Args:
        module: module to convert (converted in place where possible).

    Returns:
        The converted module (a new object if ``module`` itself is a ``BatchNorm2d``).
    """
    if isinstance(module, nn.BatchNorm2d):
        frozen = FrozenBatchNorm2d(module.num_features, eps=module.eps)
        if module.affine:
            frozen.weight.copy_(module.weight.detach())
            frozen.bias.copy_(module.bias.detach())
        if module.track_running_stats:
            frozen.running_mean.copy_(module.running_mean)
            frozen.running_var.copy_(module.running_var)
        return frozen
    for name, child in module.named_children():
        new_child = to_frozen_batch_norm(child)
        if new_child is not child:
            setattr(module, name, new_child)
    return module


def run_sequential(
    modules: Iterable[tuple[str, nn.Module]], x: Tensor, taps: dict[str, str]
) -> OrderedDict[str, Tensor]:
    """Run ``modules`` in order and collect the outputs of the tapped ones.

    Args:
        modules: ``(module_name, module)`` pairs in execution order.
        x: input ``Float[B, C, H, W]``.
        taps: ``module_name -> level name`` for the outputs to keep.

    Returns:
        ``OrderedDict[level name, Tensor]`` in execution order.
    """
    features: OrderedDict[str, Tensor] = OrderedDict()
    for name, module in modules:
        x = module(x)
        if name in taps:
            features[taps[name]] = x
    return features


def set_norm_statistics(
    module: nn.Module, eps: float | None = None, momentum: float | None = None
) -> None:
    """Set ``eps`` and/or the running-statistics ``momentum`` of every norm layer in ``module``.

    torchvision's MobileNets build BatchNorm with ``eps=1e-3, momentum=0.01`` (tuned for long
    ImageNet runs); a detector trained from scratch for a few epochs needs ``momentum=0.1`` or its
    eval-mode statistics lag far behind the weights. Converted models set ``eps`` to match
    their twin. ``None`` leaves the value as it is. FrozenBatchNorm2d has no momentum.

    Args:
        module: module whose norm layers (``BatchNorm*d``, ``SyncBatchNorm``,
            ``InstanceNorm*d``, ``FrozenBatchNorm2d``) are changed in place.
        eps: new ``eps``, or ``None``.
        momentum: new ``momentum`` (not for ``FrozenBatchNorm2d``), or ``None``.
    """
    for layer in module.modules():
        if not isinstance(layer, (_NormBase, FrozenBatchNorm2d)):
            continue
        if eps is not None:
            layer.eps = eps
        if momentum is not None and isinstance(layer, _NormBase):
            layer.momentum = momentum


#: BatchNorm momentum of a backbone trained from scratch (PyTorch's default, as in
#: torchvision's untrained detection models).
SCRATCH_NORM_MOMENTUM = 0.1


def scratch_norm_momentum(weights: WeightsSpec, norm_momentum: float | None) -> float | None:
    """The BatchNorm momentum a builder applies to its backbone (detection and segmentation).

    Args:
        weights: The backbone weights (``None``: random init).
        norm_momentum: The momentum asked for, or ``None``.

    Returns:
        ``norm_momentum`` when given; else :data:`SCRATCH_NORM_MOMENTUM` without weights and
        ``None`` (keep the layers' own, torchvision's value) with weights.
    """
    if norm_momentum is None and not weights:
        return SCRATCH_NORM_MOMENTUM
    return norm_momentum
