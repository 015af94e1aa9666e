"""Box heads and predictor of the Fast R-CNN stage: pooled RoI features -> class scores and
box deltas.

Shapes: ``R`` RoIs over the batch, ``K`` foreground classes, ``C`` channels of the pooled
features, ``S`` pooled size.
"""

from __future__ import annotations

import torch.nn.functional as F
from torch import Tensor, nn


class FastRCNNMLPHead(nn.Module):
    """Two fully connected layers with ReLU (the "2fc" head of FPN Faster R-CNN).

    Args:
        in_features: ``C * S * S`` of the pooled features.
        representation_size: width of both layers.
    """

    def __init__(self, in_features: int, representation_size: int = 1024) -> None:
        super().__init__()
        self.fc6 = nn.Linear(in_features, representation_size)
        self.fc7 = nn.Linear(representation_size, representation_size)
        self.out_features = representation_size

    def forward(self, x: Tensor) -> Tensor:
        """``Float[R, C, S, S]`` -> ``Float[R, representation_size]``."""
        return F.relu(self.fc7(F.relu(self.fc6(x.flatten(1)), inplace=True)), inplace=True)


class FastRCNNConvFCHead(nn.Module):
    """3x3 conv + BatchNorm + ReLU blocks, then fully connected + ReLU layers ("4conv1fc").

    Args:
        in_channels: channels ``C`` of the pooled features.
        pooled_size: ``S``.
        conv_channels: output channels of each conv block (``(256,) * 4`` for the v2 model).
        fc_features: output width of each fully connected layer (``(1024,)``).
    """

    def __init__(
        self,
        in_channels: int,
        pooled_size: int,
        conv_channels: tuple[int, ...] = (256, 256, 256, 256),
        fc_features: tuple[int, ...] = (1024,),
    ) -> None:
        super().__init__()
        blocks = []
        for channels in conv_channels:
            conv = nn.Conv2d(in_channels, channels, 3, padding=1, bias=False)
            nn.init.kaiming_normal_(conv.weight, mode="fan_out", nonlinearity="relu")
            blocks.append(nn.Sequential(conv, nn.BatchNorm2d(channels), nn.ReLU(inplace=True)))
            in_channels = channels
        self.convs = nn.Sequential(*blocks)
        features = in_channels * pooled_size * pooled_size
        fcs = []
        for width in fc_features:
            fcs.append(nn.Linear(features, width))
            features = width
        self.fcs = nn.ModuleList(fcs)
        self.out_features = features

    def forward(self, x: Tensor) -> Tensor:
        """``Float[R, C, S, S]`` -> ``Float[R, fc_features[-1]]``."""
        x = self.convs(x).flatten(1)
        for fc in self.fcs:
            x = F.relu(fc(x), inplace=True)
        return x


class FastRCNNPredictor(nn.Module):
    """Class scores (``K + 1``) and class-specific box deltas (``4 * (K + 1)``).

    Args:
        in_features: width of the box head output.
        num_classes: ``K + 1``, background included.
    """

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.cls_score = nn.Linear(in_features, num_classes)
        self.bbox_pred = nn.Linear(in_features, num_classes * 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """``Float[R, F]`` -> logits ``Float[R, K+1]``, deltas ``Float[R, 4(K+1)]``."""
        x = x.flatten(1)
        return self.cls_score(x), self.bbox_pred(x)
