"""VGG16 and VGG16-BN backbones built from torchvision's ``vgg16`` / ``vgg16_bn``.

VGG has five conv blocks, each closed by a 2x2 max pool. Level ``c<k>`` is the output of
the last ReLU of block ``k`` (*before* that block's pool), named after the block, not the
stride:

=====  ==========  ======  ========  =================  ====================
level  layer       stride  channels  vgg16 index        vgg16_bn index
=====  ==========  ======  ========  =================  ====================
c1     relu1_2     1       64        features.3         features.5
c2     relu2_2     2       128       features.8         features.12
c3     relu3_3     4       256       features.15        features.22
c4     relu4_3     8       512       features.22        features.32
c5     relu5_3     16      512       features.29        features.42
=====  ==========  ======  ========  =================  ====================

``c5`` is conv5_3 without the last max pool, as in the Faster R-CNN paper; ``c4`` is SSD's
conv4_3. Feature size: ``floor(H / stride) x floor(W / stride)`` (unpadded 2x2 pools).

State-dict keys are torchvision's ``features.<i>.weight`` / ``features.<i>.bias`` (VGG16-BN
also ``features.<i>.{running_mean,running_var}`` and, with ``norm="bn"``,
``num_batches_tracked``), for the indices up to the last requested level; ``avgpool`` and
``classifier`` are dropped. They equal torchvision SSD300's ``backbone.features.<i>`` keys.

``trainable_layers`` (0..5) counts conv blocks from block 5 down: blocks ``6 - k .. 5`` train,
the rest get ``requires_grad=False``. ``None`` trains everything. ``norm`` applies to VGG16-BN
only (``"frozen_bn"`` converts its BatchNorms to ``FrozenBatchNorm2d``, keeping eps).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from torch import Tensor, nn
from torchvision.models.vgg import cfgs, make_layers

from .base import (
    Backbone,
    NormSpec,
    check_norm,
    check_return_layers,
    check_trainable_layers,
    freeze_modules,
    run_sequential,
    to_frozen_batch_norm,
)
from .weights import WeightsSpec, load_torchvision_weights

VGG_ARCHS = ("vgg16", "vgg16_bn")
VGG_LEVELS = ("c1", "c2", "c3", "c4", "c5")


class VGGBackbone(Backbone):
    """The conv part of a torchvision VGG16(-BN) that returns ``c1..c5`` block outputs.

    Args:
        arch: ``"vgg16"`` or ``"vgg16_bn"``.
        weights: ``None``, a state-dict file path or ``"imagenet"`` (see ``weights.py``).
        return_layers: level names to return (subset of ``c1..c5``).
        norm: ``"frozen_bn"`` or ``"bn"`` (only matters for ``vgg16_bn``).
        trainable_layers: 0..5 conv blocks that train, counted from block 5; ``None`` = 5.

    Shape:
        ``forward(x Float[B, 3, H, W]) -> OrderedDict[level, Float[B, C_l, H//s_l, W//s_l]]``.

    Raises:
        ValueError: for an unknown ``arch``, or an invalid ``norm`` (no callable),
            ``return_layers`` or ``trainable_layers``.
        FileNotFoundError: If the ``weights`` file is missing.
    """

    def __init__(
        self,
        arch: str = "vgg16",
        weights: WeightsSpec = None,
        return_layers: Sequence[str] = ("c4", "c5"),
        norm: NormSpec = "frozen_bn",
        trainable_layers: int | None = None,
    ) -> None:
        super().__init__()
        if arch not in VGG_ARCHS:
            raise ValueError(f"unknown VGG arch {arch!r}; choose from {VGG_ARCHS}.")
        check_norm(norm, allow_callable=False)
        levels = check_return_layers(return_layers, VGG_LEVELS, arch)
        trainable_layers = check_trainable_layers(trainable_layers, 5, arch)
        features = _vgg16_features(batch_norm=arch == "vgg16_bn")
        load_torchvision_weights(features, weights, arch, prefix="features.")
        if arch == "vgg16_bn" and norm == "frozen_bn":
            to_frozen_batch_norm(features)  # in place: features is a Sequential

        pools = [i for i, layer in enumerate(features) if isinstance(layer, nn.MaxPool2d)]
        frozen_blocks = 5 - trainable_layers
        freeze_modules(features[: pools[frozen_blocks - 1] + 1] if frozen_blocks else [])
        tap_index = {f"c{k + 1}": pool - 1 for k, pool in enumerate(pools)}
        self.features = features[: tap_index[levels[-1]] + 1]
        self._taps = {str(tap_index[level]): level for level in levels}
        for level in levels:
            block = int(level[1])
            self.out_channels[level] = min(64 * 2 ** (block - 1), 512)
            self.strides[level] = 2 ** (block - 1)

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Compute the requested levels for ``x`` ``Float[B, 3, H, W]``."""
        return run_sequential(self.features.named_children(), x, self._taps)


def _vgg16_features(batch_norm: bool) -> nn.Sequential:
    """torchvision's VGG16 ``features`` with the init ``torchvision.models.VGG`` gives them.

    Built with torchvision's ``make_layers`` so that the 120M-parameter classifier, which a
    backbone drops anyway, is never allocated (building ``vgg16()`` costs seconds on a CPU).
    """
    features = make_layers(cfgs["D"], batch_norm=batch_norm)
    for module in features.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
            assert module.bias is not None  # make_layers builds its convs with a bias
            nn.init.zeros_(module.bias)
        elif isinstance(module, nn.BatchNorm2d):
            nn.init.ones_(module.weight)
            nn.init.zeros_(module.bias)
    return features


def vgg_backbone(
    arch: str,
    weights: WeightsSpec = None,
    trainable_layers: int | None = None,
    norm: NormSpec = "frozen_bn",
    return_layers: Sequence[str] | None = None,
) -> VGGBackbone:
    """``BACKBONES`` builder; ``return_layers=None`` -> ``("c4", "c5")``. See ``VGGBackbone``."""
    return VGGBackbone(
        arch,
        weights=weights,
        return_layers=return_layers or ("c4", "c5"),
        norm=norm,
        trainable_layers=trainable_layers,
    )
