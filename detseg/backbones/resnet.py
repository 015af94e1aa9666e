"""ResNet-18/34/50/101 backbones built from torchvision's ``resnet*`` classes.

Levels (``replace_stride_with_dilation`` all False):

======  ======================  ======  ==========================  ==========================
level   module output           stride  channels (18/34)            channels (50/101)
======  ======================  ======  ==========================  ==========================
c1      ``relu`` (after bn1)    2       64                          64
c2      ``layer1``              4       64                          256
c3      ``layer2``              8       128                         512
c4      ``layer3``              16      256                         1024
c5      ``layer4``              32      512                         2048
======  ======================  ======  ==========================  ==========================

``replace_stride_with_dilation=(False, True, True)`` (DeepLab, output stride 8) makes
c3/c4/c5 all stride 8; ``(False, False, True)`` (output stride 16) makes c5 stride 16.
Feature size: ``ceil(H / stride) x ceil(W / stride)`` (every downsampling is a padded
stride-2 conv or max pool).

State-dict keys are exactly torchvision ResNet's without ``fc.*`` (and without the layers
after the last requested level): ``conv1.weight``, ``bn1.{weight,bias,running_mean,
running_var}``, ``layer1.0.conv1.weight``, ``layer1.0.bn1.*``, ``layer1.0.downsample.0.weight``,
``layer1.0.downsample.1.*``, ... ``layer4.2.bn3.*``. They equal, after the prefix, the keys of
torchvision's detection models (``backbone.body.<key>``) and segmentation models
(``backbone.<key>``). With ``norm="bn"`` each BN also has ``num_batches_tracked``.

``trainable_layers`` (0..5) follows torchvision's ``_resnet_fpn_extractor``: the top
``trainable_layers`` of ``[layer4, layer3, layer2, layer1, conv1]`` train (5 also trains
``bn1``); every other parameter gets ``requires_grad=False``. ``None`` trains everything.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence

import torchvision
from torch import Tensor, nn
from torchvision.ops import FrozenBatchNorm2d

from .base import (
    Backbone,
    NormSpec,
    check_norm,
    check_return_layers,
    check_trainable_layers,
    run_sequential,
)
from .weights import WeightsSpec, load_torchvision_weights

RESNET_ARCHS = ("resnet18", "resnet34", "resnet50", "resnet101")
RESNET_LEVELS = ("c1", "c2", "c3", "c4", "c5")
_LEVEL_MODULE = {"c1": "relu", "c2": "layer1", "c3": "layer2", "c4": "layer3", "c5": "layer4"}
_STEM = ("conv1", "bn1", "relu", "maxpool")
_TRAIN_ORDER = ("layer4", "layer3", "layer2", "layer1", "conv1")


def resnet_norm_layer(norm: NormSpec) -> Callable[..., nn.Module]:
    """Map a ``norm`` spec to the ``norm_layer`` torchvision's ResNet constructor takes.

    Raises:
        ValueError: If ``norm`` is not ``"frozen_bn"``, ``"bn"`` or a callable.
    """
    check_norm(norm)
    if norm == "frozen_bn":
        return FrozenBatchNorm2d
    if norm == "bn":
        return nn.BatchNorm2d
    assert not isinstance(norm, str)  # check_norm accepts no other string
    return norm


class ResNetBackbone(Backbone):
    """A torchvision ResNet without ``avgpool``/``fc`` that returns ``c1..c5`` levels.

    Args:
        arch: one of ``"resnet18"``, ``"resnet34"``, ``"resnet50"``, ``"resnet101"``.
        weights: ``None``, a state-dict file path or ``"imagenet"`` (see ``weights.py``).
        return_layers: level names to return (subset of ``c1..c5``).
        norm: ``"frozen_bn"``, ``"bn"`` or a ``norm_layer`` callable.
        trainable_layers: 0..5 stages that train, counted from ``layer4``; ``None`` = 5.
        replace_stride_with_dilation: three flags for layer2..layer4, as in torchvision
            (resnet50/101 only).

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[level, Float[B, C_l, h_l, w_l]]`` with
        ``h_l = ceil(H / s_l)``, ``w_l = ceil(W / s_l)``.

    Raises:
        ValueError: for an unknown ``arch``, ``replace_stride_with_dilation`` without 3 flags
            or set on resnet18/34, or an invalid ``norm``, ``return_layers`` or
            ``trainable_layers``.
        FileNotFoundError: If the ``weights`` file is missing.
    """

    def __init__(
        self,
        arch: str = "resnet50",
        weights: WeightsSpec = None,
        return_layers: Sequence[str] = ("c2", "c3", "c4", "c5"),
        norm: NormSpec = "frozen_bn",
        trainable_layers: int | None = None,
        replace_stride_with_dilation: Sequence[bool] = (False, False, False),
    ) -> None:
        super().__init__()
        if arch not in RESNET_ARCHS:
            raise ValueError(f"unknown ResNet arch {arch!r}; choose from {RESNET_ARCHS}.")
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation needs 3 flags (layer2, layer3, layer4), got "
                f"{replace_stride_with_dilation!r}."
            )
        if any(replace_stride_with_dilation) and arch in ("resnet18", "resnet34"):
            raise ValueError(
                f"{arch} has BasicBlocks, which torchvision cannot dilate; use resnet50/101 "
                "for replace_stride_with_dilation."
            )
        levels = check_return_layers(return_layers, RESNET_LEVELS, arch)
        trainable_layers = check_trainable_layers(trainable_layers, 5, arch)
        net = getattr(torchvision.models, arch)(
            weights=None,
            norm_layer=resnet_norm_layer(norm),
            replace_stride_with_dilation=[bool(flag) for flag in replace_stride_with_dilation],
        )
        load_torchvision_weights(net, weights, arch)
        _freeze_resnet(net, trainable_layers)

        last_module = _LEVEL_MODULE[levels[-1]]
        for name, module in net.named_children():
            if name in ("avgpool", "fc"):
                break
            self.add_module(name, module)
            if name == last_module:
                break
        self._taps = {_LEVEL_MODULE[level]: level for level in levels}
        strides = _resnet_strides(replace_stride_with_dilation)
        expansion = 4 if arch in ("resnet50", "resnet101") else 1
        for level in levels:
            channels = 64 if level == "c1" else 64 * expansion * 2 ** (int(level[1]) - 2)
            self.out_channels[level] = channels
            self.strides[level] = strides[level]

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Compute the requested levels for ``x`` ``Float[B, 3, H, W]``."""
        return run_sequential(self.named_children(), x, self._taps)


def _freeze_resnet(net: nn.Module, trainable_layers: int) -> None:
    """Set ``requires_grad=False`` outside the top ``trainable_layers`` stages (as torchvision)."""
    prefixes = list(_TRAIN_ORDER[:trainable_layers])
    if trainable_layers == 5:
        prefixes.append("bn1")
    for name, parameter in net.named_parameters():
        if not any(name.startswith(prefix) for prefix in prefixes):
            parameter.requires_grad_(False)


def _resnet_strides(dilation: Sequence[bool]) -> dict[str, int]:
    """Stride of every level given the three ``replace_stride_with_dilation`` flags."""
    strides = {"c1": 2, "c2": 4}
    stride = 4
    for level, dilated in zip(("c3", "c4", "c5"), dilation, strict=True):
        stride = stride if dilated else stride * 2
        strides[level] = stride
    return strides


def resnet_backbone(
    arch: str,
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "frozen_bn",
    return_layers: Sequence[str] | None = None,
    replace_stride_with_dilation: Sequence[bool] = (False, False, False),
) -> ResNetBackbone:
    """Builder for ``BACKBONES``: ``return_layers=None`` -> ``c2..c5``. See ``ResNetBackbone``."""
    return ResNetBackbone(
        arch,
        weights=weights,
        return_layers=return_layers or ("c2", "c3", "c4", "c5"),
        norm=norm,
        trainable_layers=trainable_layers,
        replace_stride_with_dilation=replace_stride_with_dilation,
    )
