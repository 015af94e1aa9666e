"""Feature extractors of SSD300 (VGG16) and SSDlite320 (MobileNetV3-Large).

**SSD300 / VGG16** (Liu et al. 2016): VGG16 with pool3 in ceil mode (so 300 px gives a 38x38
conv4_3), conv4_3 L2-normalised with a learnable per-channel scale (init 20), pool5 turned
into a 3x3/s1 pool, fc6/fc7 as a dilated 3x3 conv (dilation 6) and a 1x1 conv (1024 ch),
then four extra blocks (1x1 conv + 3x3 conv, stride 2 for conv8_2/conv9_2, unpadded for
conv10_2/conv11_2). Levels at 300 px: 38, 19, 10, 5, 3, 1 cells.

**SSDlite320 / MobileNetV3-Large** (Howard et al. 2019): the network is cut inside the first
stride-32 block: level 1 is the output of its 1x1 expansion conv (stride 16, 672 ch), level 2
the end of the network (stride 32, 960 ch, 480 with ``reduced_tail``); four extra blocks
(1x1 -> depthwise 3x3/s2 -> 1x1, BatchNorm + ReLU6) follow. BatchNorm eps 1e-3 momentum 0.03
(torchvision's values; :func:`~detseg.detection.ssd.ssd` sets momentum 0.1 from scratch).

State-dict keys equal torchvision's ``backbone.*`` keys of ``ssd300_vgg16`` (except
``scale_weight`` -> ``l2norm.scale``) and of ``ssdlite320_mobilenet_v3_large``.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from functools import partial
from typing import Literal

import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn
from torchvision.ops.misc import Conv2dNormActivation

from detseg.backbones.base import Backbone, check_trainable_layers, freeze_modules
from detseg.backbones.mobilenet import mobilenet_stage_indices
from detseg.backbones.vgg import VGGBackbone
from detseg.backbones.weights import load_torchvision_weights

SSDLITE_NORM = partial(nn.BatchNorm2d, eps=0.001, momentum=0.03)


def xavier_init(module: nn.Module) -> None:
    """Xavier-uniform weights and zero biases for every conv inside ``module`` (SSD300)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.xavier_uniform_(layer.weight)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def kaiming_init(module: nn.Module) -> None:
    """Kaiming-normal (fan-out) weights and zero biases for every conv inside ``module`` (the
    MobileNet classifier's own init)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


def normal_init(module: nn.Module, std: float = 0.03) -> None:
    """Normal(0, std) weights and zero biases for every conv inside ``module`` (SSDlite)."""
    for layer in module.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.normal_(layer.weight, mean=0.0, std=std)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)


#: Initialisations of SSDlite's convs without ImageNet weights (see SSDLiteMobileNetV3Backbone).
ConvInitName = Literal["normal", "kaiming"]
CONV_INITS = {"normal": normal_init, "kaiming": kaiming_init}


class SSDL2Norm(nn.Module):
    """Channel-wise L2 normalisation with a learnable per-channel scale (ParseNet).

    Args:
        channels: Number of channels ``C``.
        scale: Initial value of every scale.

    Shape:
        ``Float[B, C, H, W] -> Float[B, C, H, W]``.
    """

    def __init__(self, channels: int, scale: float = 20.0) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels,), float(scale)))

    def forward(self, x: Tensor) -> Tensor:
        return self.scale.view(1, -1, 1, 1) * F.normalize(x)


def _vgg_extra_block(
    in_ch: int, mid_ch: int, out_ch: int, stride: int, padding: int
) -> nn.Sequential:
    """SSD300's extra block: ``1x1 conv (mid_ch) -> ReLU -> 3x3 conv (out_ch) -> ReLU``."""
    return nn.Sequential(
        nn.Conv2d(in_ch, mid_ch, kernel_size=1),
        nn.ReLU(inplace=True),
        nn.Conv2d(mid_ch, out_ch, kernel_size=3, stride=stride, padding=padding),
        nn.ReLU(inplace=True),
    )


class SSDVGG16Backbone(Backbone):
    """SSD300's VGG16 feature extractor (see the module docstring).

    Args:
        weights: ``None``, ``"imagenet"`` or a local VGG16 state-dict file.
        trainable_layers: VGG conv blocks that train, counted from block 5 (0..5);
            ``None`` trains all. The fc6/fc7 and extra layers always train.

    Shape:
        ``forward(Float[B, 3, 300, 300]) -> OrderedDict`` ``conv4_3`` (512, 38x38), ``conv7``
        (1024, 19x19), ``conv8_2`` (512, 10x10), ``conv9_2`` (256, 5x5), ``conv10_2`` (256,
        3x3), ``conv11_2`` (256, 1x1).
    """

    def __init__(self, weights: str | None = None, trainable_layers: int | None = None) -> None:
        super().__init__()
        vgg = VGGBackbone("vgg16", weights, ("c5",), "bn", trainable_layers).features
        pools = [i for i, layer in enumerate(vgg) if isinstance(layer, nn.MaxPool2d)]
        third_pool = vgg[pools[2]]
        assert isinstance(third_pool, nn.MaxPool2d)  # pools lists the MaxPool2d layers
        third_pool.ceil_mode = True
        self.features = nn.Sequential(*vgg[: pools[3]])  # up to relu4_3
        self.l2norm = SSDL2Norm(512)
        fc = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1),
            nn.Conv2d(512, 1024, kernel_size=3, padding=6, dilation=6),  # fc6, dilated
            nn.ReLU(inplace=True),
            nn.Conv2d(1024, 1024, kernel_size=1),  # fc7
            nn.ReLU(inplace=True),
        )
        extra = [
            _vgg_extra_block(1024, 256, 512, 2, 1),
            _vgg_extra_block(512, 128, 256, 2, 1),
            _vgg_extra_block(256, 128, 256, 1, 0),
            _vgg_extra_block(256, 128, 256, 1, 0),
        ]
        for module in (fc, *extra):
            xavier_init(module)
        self.extra = nn.ModuleList([nn.Sequential(*vgg[pools[3] :], fc), *extra])
        names = ("conv4_3", "conv7", "conv8_2", "conv9_2", "conv10_2", "conv11_2")
        self.out_channels = dict(zip(names, (512, 1024, 512, 256, 256, 256), strict=True))
        self.strides = dict(zip(names, (8, 16, 32, 64, 100, 300), strict=True))

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Compute the six levels (``strides`` are SSD300's nominal steps)."""
        x = self.features(x)
        outputs = [self.l2norm(x)]
        for block in self.extra:
            x = block(x)
            outputs.append(x)
        return OrderedDict(zip(self.out_channels, outputs, strict=True))


def ssdlite_extra_block(
    in_ch: int, out_ch: int, norm_layer: Callable[..., nn.Module] = SSDLITE_NORM
) -> nn.Sequential:
    """``1x1 (out/2) -> depthwise 3x3 stride 2 -> 1x1 (out)``, each with norm and ReLU6."""
    mid = out_ch // 2
    block = partial(Conv2dNormActivation, norm_layer=norm_layer, activation_layer=nn.ReLU6)
    return nn.Sequential(
        block(in_ch, mid, kernel_size=1),
        block(mid, mid, kernel_size=3, stride=2, groups=mid),
        block(mid, out_ch, kernel_size=1),
    )


class SSDLiteMobileNetV3Backbone(Backbone):
    """SSDlite's MobileNetV3-Large feature extractor (see the module docstring).

    Args:
        weights: ``None``, ``"imagenet"`` or a local file (needs ``reduced_tail=False``).
        trainable_layers: Stages that train counted from the top (0..6); ``None`` = 6.
        width_mult: MobileNet channel multiplier (extra layers scale too, at least 16 ch).
        reduced_tail: Halve the channels of the last stage (torchvision does when the
            backbone has no ImageNet weights).
        conv_init: Init of the convs that have no ImageNet weights (every conv without
            ``weights``, else the extra blocks): ``"normal"`` is torchvision's Normal(0, 0.03);
            ``"kaiming"`` the MobileNet classifier's Kaiming-normal (fan-out). Every such conv
            is followed by BatchNorm, so the init sets the weights' scale, and with it the
            relative size of each optimizer step: 0.03 makes AdamW steps large.

    Shape:
        ``forward(Float[B, 3, S, S]) -> OrderedDict`` ``c4_expand`` (stride 16), ``c5``
        (stride 32), ``extra1..extra4`` (strides 64..512; sizes ``ceil`` of the halvings).

    Raises:
        ValueError: for an unknown ``conv_init``, ``trainable_layers`` outside ``0..6`` or
            weights that do not fit.
        FileNotFoundError: If the ``weights`` file is missing.
    """

    def __init__(
        self,
        weights: str | None = None,
        trainable_layers: int | None = None,
        width_mult: float = 1.0,
        reduced_tail: bool = False,
        conv_init: str = "normal",
    ) -> None:
        super().__init__()
        if conv_init not in CONV_INITS:
            raise ValueError(f"conv_init={conv_init!r} is not one of {list(CONV_INITS)}")
        net = torchvision.models.mobilenet_v3_large(
            weights=None, norm_layer=SSDLITE_NORM, reduced_tail=reduced_tail, width_mult=width_mult
        )
        if weights is None:
            CONV_INITS[conv_init](net)
        load_torchvision_weights(net, weights, "mobilenet_v3_large")
        blocks = net.features
        stages = mobilenet_stage_indices(blocks)
        trainable = check_trainable_layers(trainable_layers, len(stages), "mobilenet_v3_large")
        freeze_modules(blocks[: len(blocks) if trainable == 0 else stages[-trainable]])
        cut = stages[-2]  # first stride-32 block
        self.features = nn.Sequential(
            nn.Sequential(*blocks[:cut], blocks[cut].block[0]),
            nn.Sequential(blocks[cut].block[1:], *blocks[cut + 1 :]),
        )
        depth = [max(16, int(d * width_mult)) for d in (512, 256, 256, 128)]
        last = blocks[-1].out_channels
        self.extra = nn.ModuleList(
            ssdlite_extra_block(c_in, c_out)
            for c_in, c_out in zip([last, *depth[:-1]], depth, strict=True)
        )
        CONV_INITS[conv_init](self.extra)
        names = ("c4_expand", "c5", "extra1", "extra2", "extra3", "extra4")
        channels = (blocks[cut].block[0].out_channels, last, *depth)
        self.out_channels = dict(zip(names, channels, strict=True))
        self.strides = dict(zip(names, (16, 32, 64, 128, 256, 512), strict=True))

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """Compute the six levels."""
        outputs = []
        for block in (*self.features, *self.extra):
            x = block(x)
            outputs.append(x)
        return OrderedDict(zip(self.out_channels, outputs, strict=True))
