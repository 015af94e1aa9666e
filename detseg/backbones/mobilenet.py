"""MobileNetV2 and MobileNetV3-Large backbones built from torchvision's classes.

Levels are the blocks torchvision's own MobileNet detection and segmentation models tap
(``stage_indices`` in ``torchvision.models.detection.backbone_utils``): stage 0 is the stem
``features[0]``, stages 1..4 are the blocks that *start* a new stride (``_is_cn``), stage 5 is
the last block ``features[-1]`` (the 1x1 expansion conv). Tapping the same blocks is what
lets ``from_torchvision`` reproduce those models.

=========  =====  ======  ================  ================  ================
level      stage  stride  v3_large index    v3_large ch       v2 index / ch
=========  =====  ======  ================  ================  ================
c1         0      2       features.0        16                features.0 / 32
c2         1      4       features.2        24                features.2 / 24
c3         2      8       features.4        40                features.4 / 32
c4         3      16      features.7        80                features.7 / 64
c5_entry   4      32      features.13       160               features.14 / 160
c5         5      32      features.16       960               features.18 / 1280
=========  =====  ======  ================  ================  ================

Channels scale with ``width_mult`` (torchvision's rounding; V2's last conv never shrinks
below 1280). ``dilated=True`` (V3 only, as torchvision's LR-ASPP / DeepLabV3) turns the last
stage's stride into dilation: ``c5_entry`` and ``c5`` then have stride 16. Feature size:
``ceil(H / stride) x ceil(W / stride)``.

State-dict keys are torchvision's ``features.<i>....`` (``features.0.0.weight``,
``features.0.1.*``, ``features.2.block.0.0.weight``, ...) up to the last requested level,
without ``classifier``. torchvision's detection models hold the same tensors under
``backbone.body.<i>....`` and its segmentation models under ``backbone.<i>....``: map
``<prefix><i>.`` to ``features.<i>.``.

``trainable_layers`` follows ``_mobilenet_extractor``: 0..6 stages train counted from the top
(6 = all, 0 = none); blocks before ``features[stage_indices[6 - k]]`` get
``requires_grad=False``. ``None`` trains everything.

``norm="frozen_bn"`` passes ``FrozenBatchNorm2d`` (eps 1e-5) to the constructor exactly as
torchvision's detection builders do, although the ImageNet V3 weights were trained with BN
eps 1e-3; ``norm="bn"`` keeps the class default (V3: eps 1e-3, momentum 0.01); a callable
is passed as ``norm_layer``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torchvision
from torch import Tensor, nn
from torchvision.ops import FrozenBatchNorm2d

from .base import (
    Backbone,
    NormSpec,
    check_norm,
    check_return_layers,
    check_trainable_layers,
    freeze_modules,
    run_sequential,
)
from .weights import WeightsSpec, load_torchvision_weights

MOBILENET_ARCHS = ("mobilenet_v2", "mobilenet_v3_large")
MOBILENET_LEVELS = ("c1", "c2", "c3", "c4", "c5_entry", "c5")


def mobilenet_stage_indices(features: Sequence[nn.Module]) -> list[int]:
    """torchvision's stage taps: ``[0, <blocks with _is_cn>, len(features) - 1]``."""
    strided = [i for i, block in enumerate(features) if getattr(block, "_is_cn", False)]
    return [0, *strided, len(features) - 1]


def _block_stride(block: nn.Module) -> int:
    """Actual downsampling of one block: the largest conv stride inside it."""
    return max(m.stride[0] for m in block.modules() if isinstance(m, nn.Conv2d))


class MobileNetBackbone(Backbone):
    """The ``features`` of a torchvision MobileNetV2 / V3-Large returning stage levels.

    Args:
        arch: ``"mobilenet_v2"`` or ``"mobilenet_v3_large"``.
        weights: ``None``, a state-dict file path or ``"imagenet"`` (see ``weights.py``).
        return_layers: level names (subset of ``c1, c2, c3, c4, c5_entry, c5``).
        norm: ``"frozen_bn"``, ``"bn"`` or a ``norm_layer`` callable.
        trainable_layers: 0..6 stages that train, counted from the top; ``None`` = 6.
        width_mult: channel multiplier (e.g. 0.25 for a tiny CPU model).
        dilated: V3 only; dilate the last stage (output stride 16).

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[level, Float[B, C_l, h_l, w_l]]`` with
        ``h_l = ceil(H / s_l)``, ``w_l = ceil(W / s_l)``.

    Raises:
        ValueError: for an unknown ``arch``, ``dilated`` with V2, ``width_mult <= 0``, or an
            invalid ``norm``, ``return_layers`` or ``trainable_layers``.
        FileNotFoundError: If the ``weights`` file is missing.
    """

    def __init__(
        self,
        arch: str = "mobilenet_v3_large",
        weights: WeightsSpec = None,
        return_layers: Sequence[str] = ("c2", "c3", "c4", "c5"),
        norm: NormSpec = "frozen_bn",
        trainable_layers: int | None = None,
        width_mult: float = 1.0,
        dilated: bool = False,
    ) -> None:
        super().__init__()
        if arch not in MOBILENET_ARCHS:
            raise ValueError(f"unknown MobileNet arch {arch!r}; choose from {MOBILENET_ARCHS}.")
        if dilated and arch != "mobilenet_v3_large":
            raise ValueError(f"dilated=True needs mobilenet_v3_large (torchvision), got {arch}.")
        if width_mult <= 0:
            raise ValueError(f"width_mult must be > 0, got {width_mult}.")
        check_norm(norm)
        levels = check_return_layers(return_layers, MOBILENET_LEVELS, arch)
        kwargs: dict = {"width_mult": width_mult}
        if dilated:
            kwargs["dilated"] = True
        if norm != "bn":
            kwargs["norm_layer"] = FrozenBatchNorm2d if norm == "frozen_bn" else norm
        net = getattr(torchvision.models, arch)(weights=None, **kwargs)
        load_torchvision_weights(net, weights, arch)
        features = net.features
        stages = mobilenet_stage_indices(features)
        trainable_layers = check_trainable_layers(trainable_layers, len(stages), arch)
        freeze_before = len(features) if trainable_layers == 0 else stages[-trainable_layers]
        freeze_modules(features[:freeze_before])

        tap_index = dict(zip(MOBILENET_LEVELS, stages, strict=True))
        self.features = features[: tap_index[levels[-1]] + 1]
        self._taps = {str(tap_index[level]): level for level in levels}
        strides = [1]
        for block in features:
            strides.append(strides[-1] * _block_stride(block))
        for level in levels:
            self.out_channels[level] = features[tap_index[level]].out_channels
            self.strides[level] = strides[tap_index[level] + 1]

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Compute the requested levels for ``x`` ``Float[B, 3, H, W]``."""
        return run_sequential(self.features.named_children(), x, self._taps)


def mobilenet_backbone(
    arch: str,
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "frozen_bn",
    return_layers: Sequence[str] | None = None,
    width_mult: float = 1.0,
    dilated: bool = False,
) -> MobileNetBackbone:
    """``BACKBONES`` builder; ``return_layers=None`` -> ``c2..c5``. See ``MobileNetBackbone``."""
    return MobileNetBackbone(
        arch,
        weights=weights,
        return_layers=return_layers or ("c2", "c3", "c4", "c5"),
        norm=norm,
        trainable_layers=trainable_layers,
        width_mult=width_mult,
        dilated=dilated,
    )
