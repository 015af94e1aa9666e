"""A locally connected CRF that snaps a segmenter's class probabilities to the image's edges.

A segmenter that answers at a coarse stride (the shapes U-Net's logits are 64 px for a 256 px
image) draws blurred borders: most of its errors lie within a few pixels of a shape's edge.
DeepLab v1/v2 (Chen et al. 2015, 2017) cleaned such borders with the fully connected CRF of
Krähenbühl and Koltun (2011). Its energy of a labelling ``x`` is::

    E(x) = sum_i -log P_i(x_i)  +  sum_{i != j} k(i, j) [x_i != x_j]

    k(i, j) = w_a exp(-|p_i - p_j|^2 / 2 s_a^2 - |I_i - I_j|^2 / 2 s_c^2)    appearance
            + w_s exp(-|p_i - p_j|^2 / 2 s_s^2)                               smoothness

with ``P`` the model's probabilities, ``p`` pixel positions and ``I`` RGB colours (0..255).
Two nearby pixels of similar colour pay ``k(i, j)`` for taking different labels. Mean-field
inference approximates the labelling's distribution by independent ``Q_i``, updated in
parallel (the Potts model's ``[x_i != x_j]`` turns into a plus sign up to a constant)::

    Q_i(l)  <-  softmax_l( log P_i(l) + sum_{j != i} k(i, j) Q_j(l) )

As ConvCRF (Teichmann and Cipolla, 2018), this module keeps only the neighbours ``j`` within
``radius`` pixels (a ``(2 r + 1)^2`` window). That is what the spatial Gaussians leave anyway
(``exp(-16 / 18) = 0.41`` at 4 px for ``s_a = 3``). The sum then becomes one shifted,
weighted copy of ``Q`` per offset, in plain PyTorch. With a radius that covers the whole
image, it is the fully connected CRF (the tests check that against an explicit ``N x N``
kernel matrix).

Cost: per iteration, one multiply-add of ``[B, C, H, W]`` per offset (80 offsets for radius
4). Memory: the ``[offsets, B, H, W]`` pairwise weights, ~21 MB per 256 x 256 image at radius
4, computed once and reused by every iteration. A large image (a 12-megapixel photo would need
~3.8 GB of them) is refined in horizontal bands (:meth:`LocalCRF.band_rows`): each band with
``iterations x radius`` rows of the image above and below it, the reach of the mean-field
updates, so that its rows come out as the whole image's would (to float round-off). A band's
weights take at most twice the bytes of the probabilities (or :data:`MIN_BAND_BYTES`), so the
peak extra memory is a small multiple of the probabilities.

It is an inference-time step only: no parameter is learned. It helps where class borders
follow colour edges; the parameters' defaults are DeepLab's small-window values, and
``docs/benchmarks.md`` has what they give on the shapes data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

#: Probabilities are clamped to this before the log (a zero would give ``-inf``).
PROBABILITY_FLOOR = 1e-6

#: A band's pairwise weights take at most this many times the bytes of the probabilities ...
BAND_WEIGHT_SHARE = 2

#: ... or this many bytes, whichever is more: an image up to ~0.2 megapixels (radius 4) is
#: refined in one band.
MIN_BAND_BYTES = 64 * 2**20


@dataclass(frozen=True)
class LocalCRF:
    """Mean-field inference of a locally connected CRF (see the module docstring).

    Attributes:
        iterations: mean-field updates; ``0`` returns the probabilities unchanged.
        radius: neighbours within ``radius`` pixels along each axis take part.
        spatial_sigma: ``s_a``, the appearance kernel's reach in pixels.
        color_sigma: ``s_c``, the colour difference (0..255 per channel) that weakens the
            appearance kernel by ``exp(-1/2)``.
        appearance_weight: ``w_a``.
        smoothness_weight: ``w_s`` (``0``: off). It removes isolated pixels whatever the colours.
        smoothness_sigma: ``s_s``, the smoothness kernel's reach in pixels.

    Raises:
        ValueError: ``iterations < 0``, ``radius < 1``, a sigma ``<= 0`` or a weight ``< 0``.
    """

    iterations: int = 5
    radius: int = 4
    spatial_sigma: float = 3.0
    color_sigma: float = 20.0
    appearance_weight: float = 1.0
    smoothness_weight: float = 0.0
    smoothness_sigma: float = 1.0

    def __post_init__(self) -> None:
        if self.iterations < 0 or self.radius < 1:
            raise ValueError(
                f"CRF iterations must be >= 0 and radius >= 1, got {self.iterations}, {self.radius}"
            )
        for name in ("spatial_sigma", "color_sigma", "smoothness_sigma"):
            if getattr(self, name) <= 0:
                raise ValueError(f"CRF {name} must be > 0, got {getattr(self, name)}")
        if self.appearance_weight < 0 or self.smoothness_weight < 0:
            raise ValueError("CRF weights must be >= 0")

    def offsets(self) -> list[tuple[int, int]]:
        """``(dy, dx)`` of every neighbour in the window, the centre excluded."""
        r = self.radius
        return [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1) if dy or dx]

    def pairwise_weights(self, images: Tensor) -> Tensor:
        """``k(i, i + offset)``: ``Float[O, B, H, W]`` for images ``Float[B, 3, H, W]`` in [0, 1].

        ``O = (2 r + 1)^2 - 1`` in the order of :meth:`offsets`. The colours are
        replicate-padded, so a neighbour outside the image gets some weight; it is unused, as
        :meth:`__call__` zero-pads the probabilities there.
        """
        colours = images.float() * 255.0
        r, (b, _, h, w) = self.radius, colours.shape
        padded = F.pad(colours, (r, r, r, r), mode="replicate")
        offsets = self.offsets()
        weights = colours.new_empty((len(offsets), b, h, w))  # filled in place: no stacked copy
        for weight, (dy, dx) in zip(weights, offsets, strict=True):
            distance2 = float(dy * dy + dx * dx)
            neighbour = padded[:, :, r + dy : r + dy + h, r + dx : r + dx + w]
            colour2 = (neighbour - colours).square().sum(dim=1)  # [B, H, W]
            appearance = torch.exp(
                -distance2 / (2 * self.spatial_sigma**2) - colour2 / (2 * self.color_sigma**2)
            )
            smoothness = math.exp(-distance2 / (2 * self.smoothness_sigma**2))
            weight.copy_(self.appearance_weight * appearance + self.smoothness_weight * smoothness)
        return weights

    def band_rows(self, shape: tuple[int, ...]) -> int:
        """How many rows of probabilities ``shape = (B, C, H, W)`` are refined per band.

        A band is refined with ``iterations x radius`` more rows of the image above and below
        it (the reach of the mean-field updates: row ``y``'s result depends on rows
        ``y +- iterations x radius`` only), whose weights count too: its ``[O, B, rows + 2 x
        iterations x radius, W]`` weights take at most :data:`BAND_WEIGHT_SHARE` times the
        bytes of the probabilities, or :data:`MIN_BAND_BYTES`. ``>= H``: one band, the whole
        image. At least ``iterations x radius`` rows (a very wide, short image).
        """
        batch, channels, height, width = shape
        reach = self.iterations * self.radius
        budget = max(BAND_WEIGHT_SHARE * batch * channels * height * width * 4, MIN_BAND_BYTES)
        per_row = len(self.offsets()) * batch * width * 4
        return max(budget // max(per_row, 1) - 2 * reach, reach, 1)

    def __call__(self, probabilities: Tensor, images: Tensor) -> Tensor:
        """Refined probabilities ``Float[B, C, H, W]`` (each pixel's sum is 1).

        Args:
            probabilities: ``Float[B, C, H, W]``, a distribution over the ``C`` classes at each
                pixel (a softmax, or the mean of several).
            images: ``Float[B, 3, H, W]`` in ``[0, 1]``, the images they were predicted from.

        Returns:
            ``Float[B, C, H, W]`` (float32) after ``iterations`` mean-field updates;
            ``probabilities`` itself, not copied or cast, when ``iterations == 0``.

        Raises:
            ValueError: either tensor is not 4-D, ``images`` does not have 3 channels or is
                not float (a ``uint8`` image, as pydensecrf takes), or the two do not share
                ``B``, ``H`` and ``W``.
        """
        if probabilities.dim() != 4 or images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(
                f"expected probabilities [B, C, H, W] and images [B, 3, H, W], got "
                f"{tuple(probabilities.shape)} and {tuple(images.shape)}"
            )
        if probabilities.shape[0] != images.shape[0] or (
            probabilities.shape[-2:] != images.shape[-2:]
        ):
            raise ValueError(
                f"probabilities {tuple(probabilities.shape)} and images {tuple(images.shape)} "
                "must share batch size, height and width"
            )
        if not images.is_floating_point():  # colours are scaled by 255: uint8 would be 255x
            raise ValueError(
                f"CRF images must be float in [0, 1], got {images.dtype}; divide uint8 images "
                "by 255 (as detseg's image tensors are)"
            )
        if self.iterations == 0:
            return probabilities
        probabilities = probabilities.float()
        height = probabilities.shape[-2]
        rows = self.band_rows(tuple(probabilities.shape))
        if rows >= height:
            return self._mean_field(probabilities, images)
        reach = self.iterations * self.radius
        refined = torch.empty_like(probabilities)
        for top in range(0, height, rows):
            bottom = min(top + rows, height)
            start, stop = max(top - reach, 0), min(bottom + reach, height)
            band = self._mean_field(probabilities[:, :, start:stop], images[:, :, start:stop])
            refined[:, :, top:bottom] = band[:, :, top - start : bottom - start]
        return refined

    def _mean_field(self, probabilities: Tensor, images: Tensor) -> Tensor:
        """``iterations`` mean-field updates of float32 ``probabilities`` ``[B, C, H, W]``
        (images ``Float[B, 3, H, W]``), rows outside them taken as no neighbours."""
        unary = probabilities.clamp_min(PROBABILITY_FLOOR).log()
        weights = self.pairwise_weights(images)  # [O, B, H, W]
        offsets = self.offsets()  # the same order as the weights
        r, (h, w) = self.radius, probabilities.shape[-2:]
        q = probabilities
        for _ in range(self.iterations):
            padded = F.pad(q, (r, r, r, r))  # outside the image: no neighbour, no message
            message = torch.zeros_like(q)
            for weight, (dy, dx) in zip(weights, offsets, strict=True):
                neighbour = padded[:, :, r + dy : r + dy + h, r + dx : r + dx + w]
                message.addcmul_(weight[:, None], neighbour)
            q = (unary + message).softmax(dim=1)
        return q
