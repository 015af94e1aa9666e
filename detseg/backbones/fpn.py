"""Feature Pyramid Network (Lin et al. 2017) and backbone + FPN assemblies.

The computation equals ``torchvision.ops.FeaturePyramidNetwork``: for inputs ``C_i``
(highest resolution first), ``inner_i = lateral_i(C_i)`` (1x1 conv),
``top_n = inner_n``, ``top_i = inner_i + nearest_upsample(top_{i+1}, size of inner_i)``,
``P_i = output_i(top_i)`` (3x3 conv). Extra levels: ``"maxpool"`` adds
``max_pool2d(P_last, kernel_size=1, stride=2)`` (a stride-2 subsampling, torchvision's
``LastLevelMaxPool``); ``"p6p7"`` adds RetinaNet's ``P6 = conv3x3/s2(P5 or C5)`` and
``P7 = conv3x3/s2(relu(P6))`` (torchvision's ``LastLevelP6P7``).

Output names: an input named ``c<k><suffix>`` gives ``p<k><suffix>``; extra levels after
``c<n>`` are ``p<n+1>`` (and ``p<n+2>``). So ResNet ``c2..c5`` -> ``p2..p6`` (maxpool) and
``c3..c5`` -> ``p3..p7`` (p6p7), ``p<log2(stride)>``. Inputs with other names keep them and
the extras are torchvision's ``"pool"`` / ``"p6", "p7"``.

State-dict keys of ``FPN`` (identical to torchvision's ``FeaturePyramidNetwork``):
``inner_blocks.<i>.0.weight``, ``inner_blocks.<i>.0.bias`` (lateral 1x1 of input ``i``),
``layer_blocks.<i>.0.weight``, ``layer_blocks.<i>.0.bias`` (output 3x3); with a norm layer
the convs have no bias and the norm is ``inner_blocks.<i>.1.*`` / ``layer_blocks.<i>.1.*``;
``extra_blocks.p6.{weight,bias}``, ``extra_blocks.p7.{weight,bias}`` for ``"p6p7"``.
``BackboneWithFPN`` holds ``body.*`` (the backbone's own keys) and ``fpn.*``.

``resnet_fpn_backbone`` / ``mobilenet_fpn_backbone`` rebuild torchvision's detection backbones
(``_resnet_fpn_extractor`` / ``_mobilenet_extractor(fpn=True)``) layer for layer. Key map from a
torchvision detection model (``tv.state_dict()``) to ``detseg_backbone.state_dict()``:

- ResNet: ``backbone.body.<key>`` -> ``body.<key>``, ``backbone.fpn.<key>`` -> ``fpn.<key>``
  (identical after the ``backbone.`` prefix).
- MobileNet: ``backbone.body.<i>.<rest>`` -> ``body.features.<i>.<rest>``,
  ``backbone.fpn.<key>`` -> ``fpn.<key>``.

Output names differ from torchvision's (``"0", "1", ..., "pool"``) but the order is the same:
ResNet ``p2..p6`` (maxpool) or ``p3..p7`` (RetinaNet), MobileNet ``p5_entry, p5, p6``
(strides 32, 32, 64, as torchvision's ``fasterrcnn_mobilenet_v3_large_fpn``).
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from typing import Literal, get_args

import torch.nn.functional as F
from torch import Tensor, nn

from .base import Backbone, NormSpec
from .mobilenet import MOBILENET_LEVELS, MobileNetBackbone
from .resnet import ResNetBackbone
from .weights import WeightsSpec

EXTRA_BLOCKS = ("maxpool", "p6p7", None)
_LEVEL_NAME = re.compile(r"^c(\d+)(.*)$")

FPNNormSpec = str | Callable[..., nn.Module] | None
#: The FPN norm a builder takes by name: BatchNorm after each FPN convolution (else none)
FPNNormName = Literal["bn"]
#: What the P6 of RetinaNet's extra levels is computed from: the FPN's P5 or the backbone's C5
P6P7Source = Literal["p5", "c5"]


def fpn_level_names(in_names: Sequence[str], num_extra: int) -> list[str]:
    """Output names of an FPN given its input names (rule in the module docstring)."""
    names = []
    for name in in_names:
        match = _LEVEL_NAME.match(name)
        names.append(f"p{match.group(1)}{match.group(2)}" if match else name)
    last = _LEVEL_NAME.match(in_names[-1]) if in_names else None
    if last is not None:
        top = int(last.group(1))
        extra = [f"p{top + i}" for i in range(1, num_extra + 1)]
    else:
        extra = ["pool"] if num_extra == 1 else ["p6", "p7"][:num_extra]
    return names + extra


def _conv_norm(in_ch: int, out_ch: int, kernel: int, norm_layer: Callable | None) -> nn.Sequential:
    """``Sequential(conv[, norm])``; the conv has a bias only without norm (torchvision)."""
    conv = nn.Conv2d(in_ch, out_ch, kernel, padding=kernel // 2, bias=norm_layer is None)
    nn.init.kaiming_uniform_(conv.weight, a=1)
    if conv.bias is not None:
        nn.init.zeros_(conv.bias)
    return nn.Sequential(conv) if norm_layer is None else nn.Sequential(conv, norm_layer(out_ch))


class FPNMaxPoolLevel(nn.Module):
    """One extra level: ``max_pool2d(P_last, kernel_size=1, stride=2)`` (no parameters)."""

    num_levels = 1

    def forward(self, p: list[Tensor], c: list[Tensor]) -> list[Tensor]:
        """Return ``[Float[B, C, ceil(h/2), ceil(w/2)]]`` from the last FPN output ``p[-1]``."""
        return [F.max_pool2d(p[-1], kernel_size=1, stride=2, padding=0)]


class FPNP6P7Levels(nn.Module):
    """RetinaNet's two extra levels P6, P7 (3x3 stride-2 convs) from P5 or C5.

    Args:
        in_channels: channels of the source (FPN channels for ``"p5"``, C5's for ``"c5"``).
        out_channels: FPN channels.
        source: ``"p5"`` (last FPN output, RetinaNet v1) or ``"c5"`` (last input, v2).

    Raises:
        ValueError: If ``source`` is neither ``"p5"`` nor ``"c5"``.
    """

    num_levels = 2

    def __init__(self, in_channels: int, out_channels: int, source: str = "p5") -> None:
        super().__init__()
        if source not in get_args(P6P7Source):
            raise ValueError(f"p6p7_from must be 'p5' or 'c5', got {source!r}.")
        self.source = source
        self.p6 = nn.Conv2d(in_channels, out_channels, 3, stride=2, padding=1)
        self.p7 = nn.Conv2d(out_channels, out_channels, 3, stride=2, padding=1)
        for conv in (self.p6, self.p7):
            nn.init.kaiming_uniform_(conv.weight, a=1)
            assert conv.bias is not None  # nn.Conv2d's default bias=True
            nn.init.zeros_(conv.bias)

    def forward(self, p: list[Tensor], c: list[Tensor]) -> list[Tensor]:
        """Return ``[P6, P7]`` from ``p[-1]`` (``"p5"``) or ``c[-1]`` (``"c5"``)."""
        p6 = self.p6(p[-1] if self.source == "p5" else c[-1])
        return [p6, self.p7(F.relu(p6))]


def _fpn_norm_layer(norm: FPNNormSpec) -> Callable[..., nn.Module] | None:
    """``None`` / callable unchanged, ``"bn"`` -> ``nn.BatchNorm2d``; else ``ValueError``."""
    if norm is None or (callable(norm) and not isinstance(norm, str)):
        return norm
    if norm == "bn":
        return nn.BatchNorm2d
    raise ValueError(f"fpn norm={norm!r} is not supported: use None, 'bn' or a norm callable.")


class FPN(nn.Module):
    """Feature Pyramid Network over a list of feature maps (see the module docstring).

    Args:
        in_channels: channels of each input level, highest resolution first (a list, or a
            dict ``name -> channels`` whose values are used in order).
        out_channels: channels of every output level.
        extra_blocks: ``"maxpool"``, ``"p6p7"`` or ``None``.
        p6p7_from: ``"p5"`` or ``"c5"``: the source of P6 for ``"p6p7"``.
        norm_layer: ``None``, ``"bn"`` (``nn.BatchNorm2d``, torchvision's ``*_fpn_v2``) or a
            callable ``norm_layer(channels)`` placed after every lateral and output conv.

    Shape:
        ``forward(OrderedDict[name, Float[B, C_i, H_i, W_i]]) ->
        OrderedDict[p-name, Float[B, out_channels, H_i, W_i]]`` plus the extra levels.

    Raises:
        ValueError: If ``in_channels`` is empty or not positive, ``extra_blocks`` or
            ``norm_layer`` is unknown, or (``"p6p7"``) ``p6p7_from`` is not ``"p5"``/``"c5"``;
            ``forward`` raises it when the number of inputs differs from ``in_channels``.
    """

    def __init__(
        self,
        in_channels: Sequence[int] | Mapping[str, int],
        out_channels: int = 256,
        extra_blocks: str | None = "maxpool",
        p6p7_from: str = "p5",
        norm_layer: FPNNormSpec = None,
    ) -> None:
        super().__init__()
        channels = list(in_channels.values() if isinstance(in_channels, Mapping) else in_channels)
        if not channels or any(int(ch) <= 0 for ch in channels):
            raise ValueError(f"FPN in_channels must be positive and non-empty, got {channels}.")
        if extra_blocks not in EXTRA_BLOCKS:
            raise ValueError(f"extra_blocks={extra_blocks!r}; choose from {EXTRA_BLOCKS}.")
        norm = _fpn_norm_layer(norm_layer)
        self.inner_blocks = nn.ModuleList(_conv_norm(ch, out_channels, 1, norm) for ch in channels)
        self.layer_blocks = nn.ModuleList(
            _conv_norm(out_channels, out_channels, 3, norm) for _ in channels
        )
        self.extra_blocks: nn.Module | None = None
        if extra_blocks == "maxpool":
            self.extra_blocks = FPNMaxPoolLevel()
        elif extra_blocks == "p6p7":
            source_ch = out_channels if p6p7_from == "p5" else channels[-1]
            self.extra_blocks = FPNP6P7Levels(source_ch, out_channels, p6p7_from)
        self.num_extra = 0 if self.extra_blocks is None else self.extra_blocks.num_levels

    def forward(self, x: Mapping[str, Tensor]) -> OrderedDict[str, Tensor]:
        """Top-down pathway with lateral connections (see the class docstring for shapes)."""
        names, c = list(x.keys()), list(x.values())
        if len(c) != len(self.inner_blocks):
            raise ValueError(f"FPN built for {len(self.inner_blocks)} levels, got {names}.")
        top_down = self.inner_blocks[-1](c[-1])
        p = [self.layer_blocks[-1](top_down)]
        for idx in range(len(c) - 2, -1, -1):
            lateral = self.inner_blocks[idx](c[idx])
            upsampled = F.interpolate(top_down, size=lateral.shape[-2:], mode="nearest")
            top_down = lateral + upsampled
            p.insert(0, self.layer_blocks[idx](top_down))
        if self.extra_blocks is not None:
            p = p + self.extra_blocks(p, c)
        return OrderedDict(zip(fpn_level_names(names, self.num_extra), p, strict=True))


class BackboneWithFPN(Backbone):
    """A backbone (``body``) followed by an ``FPN`` (``fpn``) on some of its levels.

    Args:
        body: a backbone following the contract in ``base.py``.
        in_features: body levels fed to the FPN, e.g. ``["c3", "c4", "c5"]``; ``None`` = all.
        out_channels: FPN channels.
        extra_blocks: ``"maxpool"``, ``"p6p7"`` or ``None``.
        p6p7_from: ``"p5"`` or ``"c5"``.
        norm_layer: FPN norm (``None``, ``"bn"`` or a callable).

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[p-name, Float[B, out_channels, h, w]]``;
        ``strides`` of the extra levels are 2x and 4x the last input level's.

    Raises:
        ValueError: If ``in_features`` is empty or names a level ``body`` lacks, or for an
            invalid FPN option.
    """

    def __init__(
        self,
        body: Backbone,
        in_features: Sequence[str] | None = None,
        out_channels: int = 256,
        extra_blocks: str | None = "maxpool",
        p6p7_from: str = "p5",
        norm_layer: FPNNormSpec = None,
    ) -> None:
        super().__init__()
        available = list(body.out_channels)
        if in_features is None:
            in_features = available
        unknown = [name for name in in_features if name not in available]
        if unknown or not in_features:
            raise ValueError(
                f"in_features {list(in_features)} must be a non-empty subset of "
                f"the body's levels {available}."
            )
        self.in_features = [name for name in available if name in in_features]
        self.body = body
        self.fpn = FPN(
            {name: body.out_channels[name] for name in self.in_features},
            out_channels,
            extra_blocks,
            p6p7_from,
            norm_layer,
        )
        names = fpn_level_names(self.in_features, self.fpn.num_extra)
        strides = [body.strides[name] for name in self.in_features]
        strides += [strides[-1] * 2 ** (i + 1) for i in range(self.fpn.num_extra)]
        self.out_channels = {name: out_channels for name in names}
        self.strides = dict(zip(names, strides, strict=True))

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Run the body, then the FPN on ``in_features``."""
        features = self.body(x)
        return self.fpn(OrderedDict((name, features[name]) for name in self.in_features))


def resnet_fpn_backbone(
    name: str,
    weights: WeightsSpec = None,
    trainable_layers: int = 3,
    returned_layers: Sequence[int] = (1, 2, 3, 4),
    extra_blocks: str | None = "maxpool",
    norm: NormSpec = "frozen_bn",
    fpn_norm: FPNNormSpec = None,
    out_channels: int = 256,
    p6p7_from: str = "p5",
) -> BackboneWithFPN:
    """ResNet + FPN, layer for layer torchvision's ``_resnet_fpn_extractor``.

    torchvision's models: ``fasterrcnn_resnet50_fpn`` = defaults; ``fasterrcnn_resnet50_fpn_v2``
    = ``norm="bn", fpn_norm="bn"``; ``retinanet_resnet50_fpn`` = ``returned_layers=(2, 3, 4),
    extra_blocks="p6p7"``; ``retinanet_resnet50_fpn_v2`` = the same with ``norm="bn",
    p6p7_from="c5"``.

    Args:
        name: ResNet arch (``"resnet18"`` .. ``"resnet101"``).
        weights: ``None``, a file path or ``"imagenet"`` (ResNet ImageNet weights).
        trainable_layers: 0..5 (see ``resnet.py``).
        returned_layers: ResNet stages 1..4 fed to the FPN (stage ``k`` = level ``c<k+1>``).
        extra_blocks: ``"maxpool"``, ``"p6p7"`` or ``None``.
        norm: backbone norm (``"frozen_bn"``, ``"bn"`` or callable).
        fpn_norm: FPN norm (``None``, ``"bn"`` or callable).
        out_channels: FPN channels.
        p6p7_from: ``"p5"`` or ``"c5"``.

    Raises:
        ValueError: If ``returned_layers`` is empty or outside ``1..4``, or for an invalid
            ResNet or FPN option.
    """
    if not returned_layers or min(returned_layers) < 1 or max(returned_layers) > 4:
        raise ValueError(f"returned_layers must be within 1..4, got {returned_layers}.")
    body = ResNetBackbone(
        name,
        weights=weights,
        return_layers=[f"c{k + 1}" for k in returned_layers],
        norm=norm,
        trainable_layers=trainable_layers,
    )
    return BackboneWithFPN(body, None, out_channels, extra_blocks, p6p7_from, fpn_norm)


def mobilenet_fpn_backbone(
    name: str = "mobilenet_v3_large",
    weights: WeightsSpec = None,
    trainable_layers: int = 3,
    returned_layers: Sequence[int] | None = None,
    extra_blocks: str | None = "maxpool",
    norm: NormSpec = "frozen_bn",
    fpn_norm: FPNNormSpec = None,
    out_channels: int = 256,
    width_mult: float = 1.0,
) -> BackboneWithFPN:
    """MobileNet + FPN, layer for layer torchvision's ``_mobilenet_extractor(fpn=True)``.

    ``fasterrcnn_mobilenet_v3_large_fpn`` and ``..._320_fpn`` use the defaults (their untrained
    variants use ``norm=torch.nn.BatchNorm2d``).

    Args:
        name: ``"mobilenet_v3_large"`` or ``"mobilenet_v2"``.
        weights: ``None``, a file path or ``"imagenet"``.
        trainable_layers: 0..6 stages that train (see ``mobilenet.py``).
        returned_layers: torchvision stage numbers 0..5 fed to the FPN; ``None`` -> ``(4, 5)``
            (levels ``c5_entry``, ``c5``) as torchvision does.
        extra_blocks: ``"maxpool"``, ``"p6p7"`` or ``None``.
        norm: backbone norm; fpn_norm: FPN norm; out_channels: FPN channels.
        width_mult: MobileNet channel multiplier.

    Raises:
        ValueError: If ``returned_layers`` is empty or outside ``0..5``, or for an invalid
            MobileNet or FPN option.
    """
    returned_layers = (4, 5) if returned_layers is None else tuple(returned_layers)
    if not returned_layers or min(returned_layers) < 0 or max(returned_layers) > 5:
        raise ValueError(f"returned_layers must be within 0..5, got {returned_layers}.")
    body = MobileNetBackbone(
        name,
        weights=weights,
        return_layers=[MOBILENET_LEVELS[k] for k in returned_layers],
        norm=norm,
        trainable_layers=trainable_layers,
        width_mult=width_mult,
    )
    return BackboneWithFPN(body, None, out_channels, extra_blocks, "p5", fpn_norm)
