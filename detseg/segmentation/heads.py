"""Segmentation heads for one or two backbone levels: FCN, DeepLabV3 (ASPP), DeepLabV3+, LR-ASPP.

Every head is an ``nn.Module`` that reads the backbone's feature dict and returns class
logits at the resolution of the finest level it uses (the model upsamples them to the input):

- ``forward(features: dict[str, Float[B, C_l, h_l, w_l]]) -> Float[B, num_logits, h, w]``,
- ``in_features``: the level names it reads (e.g. ``("c5",)`` or ``("c2", "c5")``).

``num_logits`` counts every output channel, background included (a model with ``K``
foreground classes builds its heads with ``K + 1``).

Layer semantics follow the papers and torchvision's segmentation models, so a torchvision
checkpoint maps onto them key by key (see ``detseg/convert/segmentation.py``):

- ``FCNHead``: 3x3 conv to ``in_channels // 4``, BN, ReLU, dropout 0.1, 1x1 classifier.
- ``ASPP``: a 1x1 branch, one 3x3 branch per atrous rate, an image-pooling branch; the
  concatenation is projected by 1x1 conv, BN, ReLU, dropout 0.5.
- ``DeepLabV3Head``: ASPP, 3x3 conv + BN + ReLU, 1x1 classifier.
- ``DeepLabV3PlusHead``: ASPP on the deep level, upsampled to the low level, concatenated
  with a 48-channel 1x1 reduction of it, two 3x3 conv + BN + ReLU, 1x1 classifier.
- ``LRASPPHead``: MobileNetV3's Lite R-ASPP (1x1 conv branch gated by a pooled sigmoid branch,
  upsampled and added to a 1x1 classifier on the low level).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def default_atrous_rates(output_stride: int) -> tuple[int, int, int]:
    """ASPP rates of the DeepLabV3 paper: ``(6, 12, 18)`` at output stride 16, doubled at 8.

    Raises:
        ValueError: for an output stride other than 8 or 16.
    """
    if output_stride == 16:
        return (6, 12, 18)
    if output_stride == 8:
        return (12, 24, 36)
    raise ValueError(
        f"ASPP rates are defined for output_stride 8 or 16, got {output_stride}; pass "
        f"atrous_rates (model.atrous_rates) for it, e.g. [3, 6, 9] at output_stride 32."
    )


class ConvBNReLU(nn.Sequential):
    """``Conv2d`` (no bias, "same" padding) -> ``BatchNorm2d`` -> ``ReLU``; keys ``conv``, ``bn``.

    Args:
        in_channels: input channels.
        out_channels: output channels.
        kernel_size: odd kernel side.
        dilation: conv dilation (padding ``dilation * (kernel_size // 2)`` keeps the size).
    """

    def __init__(
        self, in_channels: int, out_channels: int, kernel_size: int = 3, dilation: int = 1
    ) -> None:
        padding = dilation * (kernel_size // 2)
        super().__init__(
            OrderedDict(
                conv=nn.Conv2d(
                    in_channels,
                    out_channels,
                    kernel_size,
                    padding=padding,
                    dilation=dilation,
                    bias=False,
                ),
                bn=nn.BatchNorm2d(out_channels),
                relu=nn.ReLU(),
            )
        )


class FCNHead(nn.Module):
    """torchvision-style FCN head on one level (also the usual auxiliary head).

    Args:
        in_channels: channels of the input level.
        num_logits: output channels (background included).
        in_feature: level name read from the feature dict.
        dropout: dropout probability before the classifier.
    """

    def __init__(
        self, in_channels: int, num_logits: int, in_feature: str = "c5", dropout: float = 0.1
    ) -> None:
        super().__init__()
        self.in_features = (in_feature,)
        self.block = ConvBNReLU(in_channels, in_channels // 4, 3)
        self.dropout = nn.Dropout(dropout)
        self.classifier = nn.Conv2d(in_channels // 4, num_logits, 1)

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """Logits ``Float[B, num_logits, h, w]`` at the input level's resolution."""
        return self.classifier(self.dropout(self.block(features[self.in_features[0]])))


class ASPPPooling(nn.Module):
    """Image-level branch of ASPP: global average, 1x1 conv, BN, ReLU, broadcast back.

    With a single image in training mode, the BN sees one value per channel and cannot
    compute batch statistics; it then normalises with its running statistics (and leaves them
    unchanged) instead of failing, so that batch size 1 trains on a laptop.
    """

    def __init__(self, in_channels: int, out_channels: int) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.bn = nn.BatchNorm2d(out_channels)
        self.relu = nn.ReLU()

    def forward(self, x: Tensor) -> Tensor:
        """``Float[B, C, h, w] -> Float[B, out_channels, h, w]`` (constant over space)."""
        pooled = self.conv(F.adaptive_avg_pool2d(x, 1))  # [B, out, 1, 1]
        if self.training and pooled.shape[0] == 1:
            bn = self.bn
            pooled = F.batch_norm(
                pooled, bn.running_mean, bn.running_var, bn.weight, bn.bias, False, 0.0, bn.eps
            )
        else:
            pooled = self.bn(pooled)
        pooled = self.relu(pooled)
        return F.interpolate(pooled, size=x.shape[-2:], mode="bilinear", align_corners=False)


class ASPP(nn.Module):
    """Atrous Spatial Pyramid Pooling (DeepLabV3).

    Args:
        in_channels: channels of the input level.
        atrous_rates: one 3x3 dilated branch per rate (see ``default_atrous_rates``).
        out_channels: channels of every branch and of the projection.
        dropout: dropout after the projection.

    Shape:
        ``Float[B, in_channels, h, w] -> Float[B, out_channels, h, w]``.

    Raises:
        ValueError: ``atrous_rates`` is empty or holds a rate ``< 1``.
    """

    def __init__(
        self,
        in_channels: int,
        atrous_rates: Sequence[int],
        out_channels: int = 256,
        dropout: float = 0.5,
    ) -> None:
        super().__init__()
        rates = tuple(int(rate) for rate in atrous_rates)
        if not rates or min(rates) < 1 or list(rates) != list(atrous_rates):  # 2.5 is no rate
            raise ValueError(f"atrous_rates must be positive integers, got {atrous_rates!r}.")
        self.atrous_rates = rates
        branches = [ConvBNReLU(in_channels, out_channels, 1)]
        branches += [ConvBNReLU(in_channels, out_channels, 3, rate) for rate in rates]
        self.branches = nn.ModuleList(branches)
        self.pooling = ASPPPooling(in_channels, out_channels)
        self.project = ConvBNReLU((len(rates) + 2) * out_channels, out_channels, 1)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: Tensor) -> Tensor:
        """See the class docstring."""
        outputs = [branch(x) for branch in self.branches] + [self.pooling(x)]
        return self.dropout(self.project(torch.cat(outputs, dim=1)))


class DeepLabV3Head(nn.Module):
    """DeepLabV3: ASPP, one 3x3 conv block, a 1x1 classifier.

    Args:
        in_channels: channels of the input level.
        num_logits: output channels (background included).
        atrous_rates: ASPP rates.
        in_feature: level name read from the feature dict.
        channels: ASPP and conv block width.
    """

    def __init__(
        self,
        in_channels: int,
        num_logits: int,
        atrous_rates: Sequence[int] = (12, 24, 36),
        in_feature: str = "c5",
        channels: int = 256,
    ) -> None:
        super().__init__()
        self.in_features = (in_feature,)
        self.aspp = ASPP(in_channels, atrous_rates, channels)
        self.block = ConvBNReLU(channels, channels, 3)
        self.classifier = nn.Conv2d(channels, num_logits, 1)

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """Logits ``Float[B, num_logits, h, w]`` at the input level's resolution."""
        return self.classifier(self.block(self.aspp(features[self.in_features[0]])))


class DeepLabV3PlusHead(nn.Module):
    """DeepLabV3+: ASPP on a deep level and a light decoder with a low-level skip.

    Args:
        low_channels: channels of the low level (ResNet ``c2``, stride 4).
        high_channels: channels of the deep level (ResNet ``c5``).
        num_logits: output channels (background included).
        atrous_rates: ASPP rates.
        low_feature, high_feature: level names read from the feature dict.
        channels: ASPP and decoder width.
        low_reduced: channels of the 1x1 reduction of the low level (48 in the paper).
    """

    def __init__(
        self,
        low_channels: int,
        high_channels: int,
        num_logits: int,
        atrous_rates: Sequence[int] = (6, 12, 18),
        low_feature: str = "c2",
        high_feature: str = "c5",
        channels: int = 256,
        low_reduced: int = 48,
    ) -> None:
        super().__init__()
        self.in_features = (low_feature, high_feature)
        self.aspp = ASPP(high_channels, atrous_rates, channels)
        self.reduce = ConvBNReLU(low_channels, low_reduced, 1)
        self.fuse = nn.Sequential(
            ConvBNReLU(channels + low_reduced, channels, 3), ConvBNReLU(channels, channels, 3)
        )
        self.classifier = nn.Conv2d(channels, num_logits, 1)

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """Logits ``Float[B, num_logits, h_low, w_low]`` at the low level's resolution."""
        low = self.reduce(features[self.in_features[0]])
        high = self.aspp(features[self.in_features[1]])
        high = F.interpolate(high, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.classifier(self.fuse(torch.cat([high, low], dim=1)))


class LRASPPHead(nn.Module):
    """Lite R-ASPP (MobileNetV3 paper).

    ``high`` -> 1x1 conv + BN + ReLU, multiplied by ``sigmoid(1x1 conv(global average of
    high))``, upsampled to ``low``; logits = ``low_classifier(low) + high_classifier(that)``.

    Args:
        low_channels: channels of the low level (MobileNetV3 ``c3``, stride 8).
        high_channels: channels of the high level (MobileNetV3 ``c5``, stride 16 dilated).
        num_logits: output channels (background included).
        inter_channels: width of the high branch.
        low_feature, high_feature: level names read from the feature dict.
    """

    def __init__(
        self,
        low_channels: int,
        high_channels: int,
        num_logits: int,
        inter_channels: int = 128,
        low_feature: str = "c3",
        high_feature: str = "c5",
    ) -> None:
        super().__init__()
        self.in_features = (low_feature, high_feature)
        self.cbr = ConvBNReLU(high_channels, inter_channels, 1)
        self.scale = nn.Conv2d(high_channels, inter_channels, 1, bias=False)
        self.low_classifier = nn.Conv2d(low_channels, num_logits, 1)
        self.high_classifier = nn.Conv2d(inter_channels, num_logits, 1)

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """Logits ``Float[B, num_logits, h_low, w_low]`` at the low level's resolution."""
        low, high = (features[name] for name in self.in_features)
        gate = torch.sigmoid(self.scale(F.adaptive_avg_pool2d(high, 1)))  # [B, inter, 1, 1]
        x = self.cbr(high) * gate
        x = F.interpolate(x, size=low.shape[-2:], mode="bilinear", align_corners=False)
        return self.low_classifier(low) + self.high_classifier(x)
