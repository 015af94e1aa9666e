"""The classic FCN-32s / 16s / 8s of Long, Shelhamer and Darrell (2015) on VGG16.

VGG16's classifier becomes convolutional: ``fc6`` is a 7x7 conv and ``fc7`` a 1x1 conv (each
ReLU + dropout 0.5) on ``pool5``, then ``score_fr`` (1x1) gives stride-32 class scores.

- FCN-32s: one learnable 64x64 stride-32 transposed conv back to the input.
- FCN-16s: ``upscore2`` (4x4 stride 2 transposed conv) of the stride-32 scores is added to
  ``score_pool4`` (1x1 conv on ``pool4``, zero-initialised), then upsampled x16.
- FCN-8s: that sum is upsampled x2 again and added to ``score_pool3``, then upsampled x8.

Every transposed conv starts as bilinear interpolation (and stays learnable). The paper pads
the first conv by 100 px and crops every sum at hand-computed offsets; here the *model* pads
the normalised image with zeros to a multiple of 32 (``SegmentationModel(size_divisible=32)``)
and ``fc6`` uses "same" padding, so every map is exactly 2x the next and the skip sums align
without offsets; the logits are cropped back to ``H x W``. With ``input.scale`` below 1 the
network sees the padded image resized, no longer a multiple of 32: the head's pools keep an
odd last row/column (``ceil_mode``) and each upsampled map is brought to its skip's size at the
bottom/right: cropped, as the paper crops its sums, when it covers more, or extended by
repeating its last row/column when it covers one less (the backbone's own pools floor, so the
next level can lack the skip's kept odd row: ``c4`` of 9 rows pools to 5 in the head, but
``c5`` has 4 rows, whose pool upsamples to 4).

Backbone levels (``VGGBackbone``, before each block's pool): ``c3`` (stride 4), ``c4`` (8),
``c5`` (16); the head applies the 2x2 pools itself: ``pool3 = pool(c3)`` (stride 8), ``pool4``
(16), ``pool5`` (32).
"""

from __future__ import annotations

from typing import Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn

FcnVariant = Literal["32s", "16s", "8s"]
FCN_VGG_VARIANTS = {"32s": 32, "16s": 16, "8s": 8}


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """Bilinear-upsampling weights ``Float[channels, channels, k, k]`` of a transposed conv.

    Each channel is upsampled on its own by ``(k + 1) // 2`` (the FCN initialisation; the
    off-diagonal channel pairs are zero). ``k`` is ``kernel_size``.
    """
    factor = (kernel_size + 1) // 2
    center = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    ramp = 1 - (torch.arange(kernel_size, dtype=torch.float32) - center).abs() / factor
    weight = torch.zeros(channels, channels, kernel_size, kernel_size)
    weight[range(channels), range(channels)] = ramp[:, None] * ramp[None, :]
    return weight


def _upsampler(channels: int, factor: int) -> nn.ConvTranspose2d:
    """Transposed conv (kernel ``2 * factor``, stride ``factor``) giving exactly ``factor`` x size,
    initialised bilinear."""
    up = nn.ConvTranspose2d(
        channels, channels, 2 * factor, stride=factor, padding=factor // 2, bias=False
    )
    with torch.no_grad():
        up.weight.copy_(bilinear_kernel(channels, 2 * factor))
    return up


def _zero_conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    """1x1 conv with zero weight and bias: a skip branch that starts by adding nothing."""
    conv = nn.Conv2d(in_channels, out_channels, 1)
    assert conv.bias is not None, "Conv2d has a bias by default"
    nn.init.zeros_(conv.weight)
    nn.init.zeros_(conv.bias)
    return conv


class FCNVGGHead(nn.Module):
    """FCN-32s/16s/8s head on VGG16 levels ``c3, c4, c5``.

    Args:
        num_logits: output channels (background included).
        variant: ``"32s"``, ``"16s"`` or ``"8s"``.
        fc_channels: width of ``fc6``/``fc7`` (4096 in the paper; smaller for CPU experiments).
        in_channels: channels of ``c3, c4, c5`` (VGG16: 256, 512, 512).

    Shape:
        ``forward(features) -> Float[B, num_logits, H, W]`` for ``c3`` of size ``H/4 x W/4`` with
        ``H, W`` multiples of 32 (``in_features`` names the levels the variant reads); other
        sizes give about ``H x W`` (the pools round up, the skip sums crop).

    Raises:
        ValueError: an unknown ``variant``.
    """

    def __init__(
        self,
        num_logits: int,
        variant: str = "8s",
        fc_channels: int = 4096,
        in_channels: tuple[int, int, int] = (256, 512, 512),
    ) -> None:
        super().__init__()
        if variant not in FCN_VGG_VARIANTS:
            raise ValueError(
                f"FCN variant must be one of {list(FCN_VGG_VARIANTS)}, got {variant!r}."
            )
        self.variant = variant
        self.in_features = {"32s": ("c5",), "16s": ("c4", "c5"), "8s": ("c3", "c4", "c5")}[variant]
        self.fc6 = nn.Conv2d(in_channels[2], fc_channels, 7, padding=3)
        self.fc7 = nn.Conv2d(fc_channels, fc_channels, 1)
        self.dropout = nn.Dropout(0.5)
        self.score_fr = nn.Conv2d(fc_channels, num_logits, 1)
        final = FCN_VGG_VARIANTS[variant]
        if variant in ("16s", "8s"):
            self.upscore2 = _upsampler(num_logits, 2)
            self.score_pool4 = _zero_conv(in_channels[1], num_logits)
        if variant == "8s":
            self.upscore_pool4 = _upsampler(num_logits, 2)
            self.score_pool3 = _zero_conv(in_channels[0], num_logits)
        self.upscore_final = _upsampler(num_logits, final)

    def forward(self, features: dict[str, Tensor]) -> Tensor:
        """See the class docstring."""
        pool5 = _pool(features["c5"])
        x = self.dropout(F.relu(self.fc6(pool5)))
        x = self.dropout(F.relu(self.fc7(x)))
        scores = self.score_fr(x)  # [B, K + 1, H / 32, W / 32]
        if self.variant in ("16s", "8s"):
            skip = self.score_pool4(_pool(features["c4"]))
            scores = _crop_to(self.upscore2(scores), skip) + skip
        if self.variant == "8s":
            skip = self.score_pool3(_pool(features["c3"]))
            scores = _crop_to(self.upscore_pool4(scores), skip) + skip  # stride 8
        return self.upscore_final(scores)


def _pool(x: Tensor) -> Tensor:
    """The 2x2 max pool of a VGG block. ``ceil_mode``: an odd side keeps its last row/column
    (and a 1-pixel side its pixel); on even sides (inputs a multiple of 32) it is the plain
    pool."""
    return F.max_pool2d(x, 2, ceil_mode=True)


def _crop_to(x: Tensor, skip: Tensor) -> Tensor:
    """``x`` (an upsampled coarser map) brought at the bottom/right to ``skip``'s size.

    After :func:`_pool` on an odd side the coarser map may cover one more row/column than the
    skip (it is cropped) or one less (the backbone's pool before the coarser level floors an
    odd side that the head's pool of the skip keeps): its last row/column is then repeated
    once. It is never short by more: ``2 * ceil(floor(n / 2) / 2) >= ceil(n / 2) - 1``.
    Equal sizes (inputs a multiple of 32) return ``x`` itself; a traced export always pads and
    crops (its sizes are traced tensors there, and the crop follows each input's sizes)."""
    if not torch.jit.is_tracing():
        if x.shape[-2:] == skip.shape[-2:]:
            return x
        if x.shape[-2] >= skip.shape[-2] and x.shape[-1] >= skip.shape[-1]:
            return x[..., : skip.shape[-2], : skip.shape[-1]]
    x = F.pad(x, [0, 1, 0, 1], mode="replicate")  # one more row and column, then the crop
    return x[..., : skip.shape[-2], : skip.shape[-1]]
