"""The losses of a segmenter, and the masks they compare with at a smaller size.

:class:`SegmentationLoss` turns logits ``Float[B, C, h, w]`` and masks into the loss dict of
``SegmentationModel.losses``: ``loss_seg`` (cross-entropy), ``loss_dice``, ``loss_aux`` (the
auxiliary head) and ``loss_deep`` (a U-Net's coarser outputs). When the loss is computed below
the input resolution, the masks come down either by nearest subsampling
(:func:`subsample_masks`, one label per pixel) or by area averaging into class fractions
(:func:`area_targets` -> :class:`SoftTargets`), which keeps thin structures that nearest
subsampling would drop.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import Tensor

from detseg.losses import (
    boundary_weighted_cross_entropy,
    cross_entropy,
    dice_loss,
    soft_cross_entropy,
    soft_dice_loss,
)

LOSS_KINDS = ("ce", "dice", "ce+dice")
#: How masks are brought down to a smaller loss size: one label per pixel, or class fractions.
TARGET_DOWNSAMPLING = ("nearest", "area")


@dataclass(frozen=True)
class SoftTargets:
    """Masks area-downsampled to a coarse grid (see :func:`area_targets`).

    Attributes:
        probs: ``Float[B, C, h, w]`` share of each class among the non-ignored pixels that a
            target pixel covers (zeros where it covers none).
        valid: ``Float[B, h, w]`` share of non-ignored pixels it covers (the loss weight).
    """

    probs: Tensor
    valid: Tensor


@dataclass(frozen=True)
class SegmentationLoss:
    """Which losses a segmenter trains with, and their weights.

    Attributes:
        kind: ``"ce"`` (``loss_seg``), ``"dice"`` (``loss_dice``) or ``"ce+dice"`` (both).
        aux_weight: weight of the auxiliary head's cross-entropy (torchvision uses 0.5).
        dice_weight: weight of ``loss_dice``.
        boundary_weight: weight of the pixels on a label border in ``loss_seg`` (1: plain
            cross-entropy; see ``detseg.losses.boundary_weighted_cross_entropy``).
        ignore_index: mask value that is ignored by every loss.

    Raises:
        ValueError: ``kind`` not in :data:`LOSS_KINDS`, ``boundary_weight <= 0``, or an
            ``aux_weight`` / ``dice_weight`` that is negative or not finite.
    """

    kind: str = "ce"
    aux_weight: float = 0.5
    dice_weight: float = 1.0
    boundary_weight: float = 1.0
    ignore_index: int = 255

    def __post_init__(self) -> None:
        if self.kind not in LOSS_KINDS:
            raise ValueError(f"loss must be one of {LOSS_KINDS}, got {self.kind!r}.")
        if self.boundary_weight <= 0:
            raise ValueError(f"boundary_weight must be > 0, got {self.boundary_weight!r}.")
        for name in ("aux_weight", "dice_weight"):  # a negative weight ascends its loss
            if not math.isfinite(getattr(self, name)) or getattr(self, name) < 0:
                raise ValueError(
                    f"model.loss.{name} must be a finite number >= 0, got {getattr(self, name)!r}."
                )

    def __call__(
        self,
        logits: Tensor,
        masks: Tensor | SoftTargets,
        aux_logits: Tensor | None = None,
        deep: Sequence[tuple[Tensor, Tensor | SoftTargets]] = (),
    ) -> dict[str, Tensor]:
        """Loss dict for logits ``Float[B, C, H, W]`` and masks ``Int64[B, H, W]``.

        Cross-entropy is the mean over non-ignored pixels (zero when all are ignored), border
        pixels weighted by ``boundary_weight``; Dice is ``1 - mean_c dice_c`` over the batch
        (see ``detseg.losses.dice_loss``). ``deep`` holds ``(logits_k, masks_k)`` pairs of
        coarser outputs, finest first, each at its own size: ``loss_deep`` is
        ``sum_k 2**-(k + 1) * (ce_k + dice_weight * dice_k)`` (the parts of ``kind``, plain
        cross-entropy), the weights of nnU-Net's deep supervision before normalisation.

        Masks may also be :class:`SoftTargets` (class fractions of the same ``H x W``): the
        cross-entropy and Dice are then ``detseg.losses.soft_cross_entropy`` and
        ``soft_dice_loss``, and ``boundary_weight`` applies to the mixed target pixels.

        Args:
            logits: ``Float[B, C, H, W]``, ``C = K + 1``.
            masks: ``Int64[B, H, W]`` labels in ``0..K`` or ``ignore_index``, or
                :class:`SoftTargets` of that size.
            aux_logits: the auxiliary head's ``Float[B, C, H, W]``, compared with ``masks`` by
                plain cross-entropy; ``None``: no ``loss_aux``.
            deep: ``(Float[B, C, h_k, w_k], masks at h_k x w_k)`` pairs, finest first.

        Returns:
            Scalar (0-d) float tensors under ``loss_seg`` / ``loss_dice`` (as ``kind`` says),
            ``loss_aux`` (with ``aux_logits``) and ``loss_deep`` (with ``deep``), already
            weighted.
        """
        losses: dict[str, Tensor] = {}
        parts = self.kind.split("+")
        if "ce" in parts:
            losses["loss_seg"] = self._cross_entropy(logits, masks, self.boundary_weight)
        if "dice" in parts:
            losses["loss_dice"] = self.dice_weight * self._dice(logits, masks)
        if aux_logits is not None:
            aux = self._cross_entropy(aux_logits, masks, 1.0)
            losses["loss_aux"] = self.aux_weight * aux
        if deep:
            terms = []
            for k, (side_logits, side_masks) in enumerate(deep):
                term = side_logits.new_zeros(())
                if "ce" in parts:
                    term = term + self._cross_entropy(side_logits, side_masks, 1.0)
                if "dice" in parts:
                    term = term + self.dice_weight * self._dice(side_logits, side_masks)
                terms.append(term * 2.0 ** -(k + 1))
            losses["loss_deep"] = torch.stack(terms).sum()
        return losses

    def _cross_entropy(
        self, logits: Tensor, masks: Tensor | SoftTargets, boundary_weight: float
    ) -> Tensor:
        """Mean cross-entropy (hard or soft targets), border pixels weighted."""
        if isinstance(masks, SoftTargets):
            return soft_cross_entropy(logits, masks.probs, masks.valid, boundary_weight)
        if boundary_weight == 1.0:
            return cross_entropy(logits, masks, ignore_index=self.ignore_index)
        return boundary_weighted_cross_entropy(logits, masks, boundary_weight, self.ignore_index)

    def _dice(self, logits: Tensor, masks: Tensor | SoftTargets) -> Tensor:
        """Dice loss ``1 - mean_c dice_c`` against hard or soft targets."""
        if isinstance(masks, SoftTargets):
            return soft_dice_loss(logits, masks.probs, masks.valid)
        return dice_loss(logits, masks, ignore_index=self.ignore_index)


def subsample_masks(
    masks: Tensor, padded: tuple[int, int], size: tuple[int, int], ignore_index: int = 255
) -> Tensor:
    """Nearest subsampling of ``Int64[B, H, W]`` masks to ``Int64[B, h, w]``.

    The masks are first padded at the bottom/right with ``ignore_index`` to ``padded``
    ``(H_pad, W_pad)`` (the batch as the network saw it), so a label keeps its place relative
    to the resized image; ``size`` is ``(h, w)``. ``F.interpolate(mode="nearest-exact")``
    picks the label nearest each target pixel's centre.
    """
    pad_h, pad_w = padded[0] - masks.shape[-2], padded[1] - masks.shape[-1]
    if pad_h or pad_w:
        masks = F.pad(masks, [0, pad_w, 0, pad_h], value=ignore_index)
    small = F.interpolate(masks[:, None].float(), size=size, mode="nearest-exact")
    return small[:, 0].to(torch.int64)


def area_targets(
    masks: Tensor | SoftTargets,
    padded: tuple[int, int],
    size: tuple[int, int],
    num_logits: int,
    ignore_index: int = 255,
) -> SoftTargets:
    """Area downsampling of masks to class fractions at ``size`` ``(h, w)``.

    ``Int64[B, H, W]`` masks are padded with ``ignore_index`` to ``padded`` (as
    :func:`subsample_masks`); then each class's indicator and the non-ignored indicator are
    averaged over the pixels each target pixel covers (a block mean when ``size`` divides the
    size exactly, ``F.interpolate(mode="area")`` otherwise), and the fractions renormalised
    over the non-ignored pixels. ``masks`` may also be finer :class:`SoftTargets` (``padded``
    is then unused): averaging their shares again gives the same result as starting from the
    labels when the sizes divide exactly, at a fraction of the cost.

    Returns:
        :class:`SoftTargets` with ``probs`` ``Float[B, num_logits, h, w]`` and ``valid``
        ``Float[B, h, w]``.
    """
    if isinstance(masks, SoftTargets):
        maps = torch.cat([masks.probs * masks.valid.unsqueeze(1), masks.valid.unsqueeze(1)], 1)
    else:
        pad_h, pad_w = padded[0] - masks.shape[-2], padded[1] - masks.shape[-1]
        if pad_h or pad_w:
            masks = F.pad(masks, [0, pad_w, 0, pad_h], value=ignore_index)
        b, h, w = masks.shape
        maps = masks.new_zeros((b, num_logits + 1, h, w), dtype=torch.float32)
        classes = torch.arange(num_logits, device=masks.device).view(1, -1, 1, 1)
        maps[:, :num_logits] = masks.unsqueeze(1) == classes  # one-hot; ignored: all zero
        maps[:, num_logits] = maps[:, :num_logits].sum(dim=1)  # 1 where not ignored
    h, w = maps.shape[-2:]
    if h % size[0] == 0 and w % size[1] == 0:
        pooled = F.avg_pool2d(maps, (h // size[0], w // size[1]))
    else:
        pooled = F.interpolate(maps, size=size, mode="area")
    share, valid = pooled[:, :num_logits], pooled[:, num_logits]
    probs = share / valid.clamp(min=1e-12).unsqueeze(1)
    return SoftTargets(probs, valid)
