"""U-Net: the classic encoder-decoder, and a U-Net decoder on any backbone's feature pyramid.

Classic U-Net (Ronneberger et al., 2015) = ``UNetEncoder`` (a detseg backbone) +
``UNetDecoder``. The encoder's level ``c<k>`` has stride ``2**k``: ``c0`` is a double conv at
full resolution, every next level is a 2x2 max pool and a double conv doubling the width.
With ``stem_stride=2`` the first conv has stride 2, so the encoder starts at ``c1`` (half
resolution, a quarter of the compute) and the model upsamples the stride-2 logits
bilinearly: the cheap variant for a CPU. The decoder walks back up: upsample the deeper map (2x2
transposed conv, or bilinear), concatenate the skip level, double conv.

Differences from the paper, so that the output has the input size for any ``H, W``: convs use
"same" padding (the paper's are unpadded and need a 92-px mirrored border), each double conv
has BatchNorm (``norm=None`` gives the paper's plain conv + bias + ReLU), and an upsampled map
whose size differs from its skip by the floor of an odd-sized pool is zero-padded (or
cropped) to the skip's size, split evenly between both sides.

``UNetDecoder`` takes any ``out_channels``/``strides`` dicts, so it also runs on ResNet, VGG or
MobileNet levels (``unet_backbone`` in ``builders.py``, ``unet_resnet34`` in ``presets.py``);
its logits come out at the finest level's stride, and the model upsamples them to the input.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Literal, get_args

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.backbones.base import Backbone

UpsamplingMode = Literal["transpose", "bilinear"]
UPSAMPLING_MODES: tuple[str, ...] = get_args(UpsamplingMode)
#: BatchNorm after each convolution of a block, else none (``None``)
UNetNorm = Literal["bn"]


def align_to(x: Tensor, size: Sequence[int]) -> Tensor:
    """Zero-pad (or crop) ``x`` ``[B, C, h, w]`` to ``size`` ``(H, W)``, evenly on both sides
    (an odd difference puts the extra row/column at the bottom/right)."""
    dh, dw = size[0] - x.shape[-2], size[1] - x.shape[-1]
    if torch.jit.is_tracing():  # sizes are traced tensors: the pads follow each input's size
        half_h, half_w = (torch.div(d, 2, rounding_mode="trunc") for d in (dh, dw))
        return F.pad(x, [half_w, dw - half_w, half_h, dh - half_h])  # type: ignore[list-item]
    if dh == 0 and dw == 0:
        return x
    top, left = int(dh / 2), int(dw / 2)  # rounds toward zero for crops too
    return F.pad(x, [left, dw - left, top, dh - top])  # negative pads crop


class UNetDoubleConv(nn.Sequential):
    """Two 3x3 convs ("same" padding), each followed by BN (``norm="bn"``) and ReLU.

    Args:
        in_channels, out_channels: channels in and out.
        norm: ``"bn"`` or ``None`` (plain conv with bias, as in the paper).
        stride: stride of the first conv (2 halves the resolution).

    Raises:
        ValueError: ``norm`` is neither ``"bn"`` nor ``None``.
    """

    def __init__(
        self, in_channels: int, out_channels: int, norm: str | None = "bn", stride: int = 1
    ) -> None:
        if norm not in ("bn", None):
            raise ValueError(f"U-Net norm must be 'bn' or None, got {norm!r}.")
        layers: list[nn.Module] = []
        for c_in, s in ((in_channels, stride), (out_channels, 1)):
            layers.append(nn.Conv2d(c_in, out_channels, 3, s, padding=1, bias=norm is None))
            if norm == "bn":
                layers.append(nn.BatchNorm2d(out_channels))
            layers.append(nn.ReLU(inplace=True))
        super().__init__(*layers)


class UNetEncoder(Backbone):
    """The classic U-Net contracting path as a detseg backbone (levels ``c0..c<depth>``).

    Args:
        in_channels: image channels.
        base_channels: width of the first level (64 in the paper); the ``j``-th level has
            ``base * 2**j``.
        depth: number of 2x2 max-pool downsamplings (4 in the paper).
        norm: ``"bn"`` or ``None``.
        stem_stride: 1 (the paper) or 2: the first conv has stride 2 and the levels are
            ``c1..c<depth + 1>`` (a level ``c<k>`` always has stride ``2**k``).

    Shape:
        ``forward(x Float[B, in_channels, H, W]) -> OrderedDict`` with ``c<k>``
        ``Float[B, base * 2**j, ~H / 2**k, ~W / 2**k]`` for the ``j``-th level (sizes are the
        floors of successive halvings; a stride-2 conv rounds up).

    Raises:
        ValueError: ``depth < 1``, ``base_channels < 1``, ``stem_stride`` not 1 or 2, or a bad
            ``norm``.
    """

    def __init__(
        self,
        in_channels: int = 3,
        base_channels: int = 64,
        depth: int = 4,
        norm: str | None = "bn",
        stem_stride: int = 1,
    ) -> None:
        super().__init__()
        if depth < 1 or base_channels < 1:
            raise ValueError(
                f"U-Net needs depth >= 1 and base_channels >= 1, got {depth}, {base_channels}."
            )
        if stem_stride not in (1, 2):
            raise ValueError(f"U-Net stem_stride must be 1 or 2, got {stem_stride!r}.")
        first = UNetDoubleConv(in_channels, base_channels, norm, stride=stem_stride)
        self.stages = nn.ModuleList([first])
        for j in range(1, depth + 1):
            self.stages.append(
                UNetDoubleConv(base_channels * 2 ** (j - 1), base_channels * 2**j, norm)
            )
        offset = stem_stride // 2  # c1 first when the stem halves the resolution
        self.level_names = [f"c{j + offset}" for j in range(depth + 1)]
        for j, name in enumerate(self.level_names):
            self.out_channels[name] = base_channels * 2**j
            self.strides[name] = 2 ** (j + offset)

    def forward(self, x: Tensor) -> OrderedDict[str, Tensor]:
        """See the class docstring."""
        features: OrderedDict[str, Tensor] = OrderedDict()
        for j, (name, stage) in enumerate(zip(self.level_names, self.stages, strict=True)):
            x = stage(x if j == 0 else _halve(x))
            features[name] = x
        return features


def _halve(x: Tensor) -> Tensor:
    """The encoder's 2x2 max pool (sizes floor). A side of 1 pixel (an image smaller than
    ``2**depth`` pixels) would pool to nothing: that side alone keeps its pixel (a window of 1
    along it, what a ``ceil_mode`` pool gives there), while the other side still floors (1 x 7
    pools to 1 x 3); the decoder aligns the sizes as for any odd size.

    A traced export (ONNX, TorchScript) sees sizes as traced tensors, where a Python test on
    them would be frozen at the example's answer: it pools with ``ceil_mode`` always and crops
    to ``side // 2 + (side < 2)`` rows and columns, the same numbers and values (a ceil pool
    only adds a last row / column)."""
    if not torch.jit.is_tracing():
        kernel = tuple(1 if side < 2 else 2 for side in x.shape[-2:])
        return F.max_pool2d(x, kernel)
    pooled = F.max_pool2d(x, 2, ceil_mode=True)
    height, width = (torch.as_tensor(side) for side in x.shape[-2:])
    rows = height // 2 + (height < 2).to(height.dtype)
    columns = width // 2 + (width < 2).to(width.dtype)
    return pooled[..., :rows, :columns]


class UNetUpBlock(nn.Module):
    """One decoder step: upsample the deeper map to the skip's size, concatenate, double conv.

    Args:
        in_channels: channels of the deeper map.
        skip_channels: channels of the skip level.
        out_channels: output channels.
        upsampling: ``"transpose"`` (2x2 stride-2 transposed conv to ``out_channels``; needs
            a stride ratio of 2) or ``"bilinear"`` (interpolation, channels unchanged).
        norm: ``"bn"`` or ``None``.

    Raises:
        ValueError: an unknown ``upsampling`` or ``norm``.
    """

    def __init__(
        self,
        in_channels: int,
        skip_channels: int,
        out_channels: int,
        upsampling: str = "transpose",
        norm: str | None = "bn",
    ) -> None:
        super().__init__()
        if upsampling not in UPSAMPLING_MODES:
            raise ValueError(f"upsampling must be one of {UPSAMPLING_MODES}, got {upsampling!r}.")
        self.upsampling = upsampling
        if upsampling == "transpose":
            self.up = nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2)
            in_channels = out_channels
        self.conv = UNetDoubleConv(in_channels + skip_channels, out_channels, norm)

    def forward(self, x: Tensor, skip: Tensor) -> Tensor:
        """``x [B, C_in, h, w]``, ``skip [B, C_skip, H, W]`` -> ``[B, out_channels, H, W]``."""
        if self.upsampling == "transpose":
            x = align_to(self.up(x), skip.shape[-2:])
        else:
            x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.conv(torch.cat([skip, x], dim=1))


class UNetDecoder(nn.Module):
    """U-Net expanding path over a feature pyramid, followed by a 1x1 classifier.

    Args:
        in_channels: ``level -> channels``, ordered fine to coarse (a backbone's
            ``out_channels``).
        strides: ``level -> stride``, same keys (a backbone's ``strides``); strides must not
            decrease, and with ``upsampling="transpose"`` each must double.
        num_logits: output channels (background included).
        decoder_channels: output width of each up block, coarse to fine (``len(levels) - 1``
            values); ``None`` = the skip level's width (classic U-Net: 512, 256, 128, 64).
        upsampling: ``"transpose"`` or ``"bilinear"``.
        norm: ``"bn"`` or ``None``.
        deep_supervision: add a 1x1 classifier on the output of every up block but the last
            (nnU-Net's deep supervision): ``forward_with_sides`` returns their logits too, and
            ``SegmentationModel.losses`` trains them against subsampled masks
            (``loss_deep``). They give the coarse levels a direct gradient; ``forward`` and
            inference do not use them. Needs >= 3 levels.

    Shape:
        ``forward(features) -> Float[B, num_logits, h_0, w_0]`` at the finest level's size.
        ``forward_with_sides(features) -> (logits, sides)``: ``sides`` lists
        ``Float[B, num_logits, h_k, w_k]`` of the up blocks before the last, finest first.

    Raises:
        ValueError: fewer than 2 levels, ``strides`` keys not those of ``in_channels``,
            decreasing strides (or, with ``"transpose"``, a ratio other than 2), a wrong
            number of ``decoder_channels``, or ``deep_supervision`` with fewer than 3 levels.
    """

    def __init__(
        self,
        in_channels: dict[str, int],
        strides: dict[str, int],
        num_logits: int,
        decoder_channels: Sequence[int] | None = None,
        upsampling: str = "transpose",
        norm: str | None = "bn",
        deep_supervision: bool = False,
    ) -> None:
        super().__init__()
        levels = list(in_channels)
        if len(levels) < 2 or list(strides) != levels:
            raise ValueError(
                f"UNetDecoder needs >= 2 levels with strides for each, got "
                f"channels {in_channels} and strides {strides}."
            )
        ratios = [strides[b] / strides[a] for a, b in zip(levels[:-1], levels[1:], strict=True)]
        if any(r < 1 for r in ratios) or (
            upsampling == "transpose" and any(r != 2 for r in ratios)
        ):
            raise ValueError(
                f"strides {strides} do not fit upsampling={upsampling!r}: use "
                "'bilinear' unless every level halves the previous resolution."
            )
        skips = levels[-2::-1]  # coarse to fine
        if decoder_channels is None:
            decoder_channels = [in_channels[level] for level in skips]
        if len(decoder_channels) != len(skips) or any(w < 1 for w in decoder_channels):
            raise ValueError(
                f"decoder_channels needs {len(skips)} values >= 1 (one width per up block), "
                f"got {list(decoder_channels)}."
            )
        self.in_features = tuple(levels)
        self.blocks = nn.ModuleList()
        previous = in_channels[levels[-1]]
        for skip, width in zip(skips, decoder_channels, strict=True):
            self.blocks.append(UNetUpBlock(previous, in_channels[skip], width, upsampling, norm))
            previous = width
        self.classifier = nn.Conv2d(previous, num_logits, 1)
        self.deep_supervision = bool(deep_supervision)
        self.side_classifiers = nn.ModuleList()
        if self.deep_supervision:
            if len(self.blocks) < 2:
                raise ValueError(
                    f"deep_supervision needs >= 3 levels (2 up blocks), got levels {levels}."
                )
            for width in decoder_channels[:-1]:
                self.side_classifiers.append(nn.Conv2d(width, num_logits, 1))

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """See the class docstring."""
        return self._decode(features, with_sides=False)[0]

    def forward_with_sides(self, features: dict[str, Tensor]) -> tuple[Tensor, list[Tensor]]:
        """The logits and the side outputs' logits (finest first); see the class docstring."""
        return self._decode(features, with_sides=True)

    def _decode(self, features: dict[str, Tensor], with_sides: bool) -> tuple[Tensor, list[Tensor]]:
        """Up blocks from the coarsest level; logits and (``with_sides``) side logits, finest
        first (an empty list otherwise)."""
        x = features[self.in_features[-1]]
        sides = []
        for j, (block, skip) in enumerate(zip(self.blocks, self.in_features[-2::-1], strict=True)):
            x = block(x, features[skip])
            if with_sides and j < len(self.side_classifiers):
                sides.append(self.side_classifiers[j](x))
        return self.classifier(x), sides[::-1]
