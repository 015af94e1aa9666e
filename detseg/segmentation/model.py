"""``SegmentationModel`` = normalisation + backbone + head (+ auxiliary head) + upsampling + loss.

The segmenter contract (``docs/ARCHITECTURE.md``):

- ``forward(images Float[B, 3, H, W] in [0, 1]) -> Float[B, K + 1, H, W]`` logits at the input
  resolution; channel 0 is background, channel ``k`` is label ``k`` (``K`` foreground classes,
  ``model.num_classes == K``).
- ``predict(images) -> Int64[B, H, W]`` labels in ``0..K``.
- ``losses(images, masks Int64[B, H, W]) -> dict``: ``loss_seg`` (cross-entropy), ``loss_dice``
  (when the loss includes Dice), ``loss_aux`` (auxiliary head, cross-entropy times its
  weight), ``loss_deep`` (deep supervision of a U-Net decoder's coarser outputs); pixels equal
  to ``ignore_index`` (255) count nowhere. Works in train and eval mode.

The model normalises internally: ``(images - image_mean) / image_std`` (ImageNet statistics by
default). A torchvision twin takes already-normalised input, so ``tv(normalised)["out"]``
equals ``detseg(images)`` (see ``detseg/convert/segmentation.py``). With ``per_image_norm``
each image is instead standardised by its own per-channel mean and standard deviation, so the
network sees every colour relative to the image it is in (on the shapes dataset, where
backgrounds and shapes take random colours, this shortens the initial plateau of training
from scratch).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.losses import (
    boundary_weighted_cross_entropy,
    cross_entropy,
    dice_loss,
    soft_cross_entropy,
    soft_dice_loss,
)
from detseg.segmentation.unet import UNetDecoder

LOSS_KINDS = ("ce", "dice", "ce+dice")
#: Where ``SegmentationModel.losses`` compares logits and masks (see ``SegmentationModel``).
LOSS_SIZES = ("input", "network", "logits")
#: How masks are brought down to a smaller loss size: one label per pixel, or class fractions.
TARGET_DOWNSAMPLING = ("nearest", "area")
#: Added to a per-image standard deviation (images in [0, 1]) so a flat image stays finite.
PER_IMAGE_EPS = 0.02


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
        if isinstance(masks, SoftTargets):
            return soft_cross_entropy(logits, masks.probs, masks.valid, boundary_weight)
        if boundary_weight == 1.0:
            return cross_entropy(logits, masks, ignore_index=self.ignore_index)
        return boundary_weighted_cross_entropy(logits, masks, boundary_weight, self.ignore_index)

    def _dice(self, logits: Tensor, masks: Tensor | SoftTargets) -> Tensor:
        if isinstance(masks, SoftTargets):
            return soft_dice_loss(logits, masks.probs, masks.valid)
        return dice_loss(logits, masks, ignore_index=self.ignore_index)


class SegmentationModel(nn.Module):
    """A semantic segmenter assembled from parts.

    Args:
        backbone: a detseg backbone returning at least the levels its heads read.
        head: a head with ``in_features`` and ``forward(features) -> logits`` (``heads.py``,
            ``unet.py``, ``fcn_vgg.py``) producing ``num_classes + 1`` channels.
        num_classes: foreground classes ``K`` (labels ``1..K``; 0 is background).
        aux_head: optional auxiliary head, used by ``losses`` only.
        loss: a ``SegmentationLoss`` (default: cross-entropy, aux weight 0.5).
        image_mean, image_std: per-channel normalisation of ``[0, 1]`` RGB input.
        size_divisible: the normalised batch is zero-padded at the bottom/right to a multiple
            of this before the backbone, and the logits are cropped back (FCN-VGG uses 32).
        per_image_norm: standardise each image by its own per-channel mean and standard
            deviation (plus ``PER_IMAGE_EPS``) instead of ``image_mean`` / ``image_std``. The
            statistics cover the whole ``H x W`` of the tensor, padding included.
        input_scale: the normalised (padded) batch is resized by this factor (bilinear with
            antialiasing) before the backbone; the logits are still upsampled to the input
            size. 0.5 runs the network on a quarter of the pixels: on a CPU, four times the
            training steps for the same time, at the cost of detail finer than 2 pixels.
        loss_size: where ``losses`` compares the logits with the masks. ``"input"``: the
            logits are upsampled to the input size (the usual way). ``"network"``: at the
            size the network sees (``input_scale`` times the input size): the masks are
            subsampled (nearest) to that size and the logits upsampled to it; the per-pixel
            loss work shrinks by ``input_scale ** 2``. ``"logits"``: at the size the head
            outputs (the network size divided by the head's stride): the masks are subsampled
            to it and the logits are not resized at all, as DeepLab v1/v2 trained against
            ground truth subsampled 8x.
            ``forward`` and ``predict`` are unchanged: they always answer at the input size.
        target_downsampling: how masks are brought to a smaller loss size (``loss_size``
            ``"network"`` / ``"logits"``, and deep supervision's side outputs):
            ``"nearest"`` keeps one label per target pixel; ``"area"`` gives each target
            pixel the fraction of each class among the input pixels it covers
            (:class:`SoftTargets`), so a coarse head learns where inside its pixel a border
            lies. With a stride-4 head, perfect nearest targets upsampled bilinearly give
            mIoU 0.944 on the shapes masks, perfect area targets 0.982.
    """

    task = "segmentation"
    image_mean: Tensor  # buffer Float[3, 1, 1]
    image_std: Tensor  # buffer Float[3, 1, 1]

    def __init__(
        self,
        backbone: nn.Module,
        head: nn.Module,
        num_classes: int,
        aux_head: nn.Module | None = None,
        loss: SegmentationLoss | None = None,
        image_mean: Sequence[float] = IMAGENET_MEAN,
        image_std: Sequence[float] = IMAGENET_STD,
        size_divisible: int = 1,
        per_image_norm: bool = False,
        input_scale: float = 1.0,
        loss_size: str = "input",
        target_downsampling: str = "nearest",
    ) -> None:
        super().__init__()
        if not 0.0 < input_scale <= 1.0:
            raise ValueError(f"input_scale must be in (0, 1], got {input_scale!r}.")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1 (foreground classes), got {num_classes}.")
        if loss_size not in LOSS_SIZES:
            raise ValueError(f"loss_size must be one of {LOSS_SIZES}, got {loss_size!r}.")
        if target_downsampling not in TARGET_DOWNSAMPLING:
            raise ValueError(
                f"target_downsampling must be one of {TARGET_DOWNSAMPLING}, "
                f"got {target_downsampling!r}."
            )
        if len(image_mean) != 3 or len(image_std) != 3 or min(image_std) <= 0:
            raise ValueError(
                f"image_mean/image_std need 3 values (std > 0), got {image_mean}, {image_std}."
            )
        self.backbone = backbone
        self.head = head
        self.aux_head = aux_head
        self.num_classes = num_classes
        self.loss = loss or SegmentationLoss()
        self.size_divisible = int(size_divisible)
        self.per_image_norm = bool(per_image_norm)
        self.input_scale = float(input_scale)
        self.loss_size = loss_size
        self.target_downsampling = target_downsampling
        self.register_buffer("image_mean", torch.tensor(image_mean).view(3, 1, 1), False)
        self.register_buffer("image_std", torch.tensor(image_std).view(3, 1, 1), False)

    def normalize(self, images: Tensor) -> Tensor:
        """``(images - mean) / std`` for ``Float[B, 3, H, W]`` in ``[0, 1]``; with
        ``per_image_norm`` the mean and std are each image's own, per channel."""
        # On [B, 3, H * W] so that every statistic broadcasts along the last dimension: on a
        # CPU this is several times faster than Tensor.std and a [B, 3, 1, 1] broadcast over
        # H x W (same values).
        flat = images.flatten(2)
        if self.per_image_norm:
            centred = flat - flat.mean(dim=2, keepdim=True)  # [B, 3, H * W]
            dof = max(flat.shape[2] - 1, 1)  # sample standard deviation, as Tensor.std
            std = torch.linalg.vector_norm(centred, dim=2, keepdim=True) / dof**0.5
            return (centred / (std + PER_IMAGE_EPS)).view_as(images)
        return ((flat - self.image_mean.view(3, 1)) / self.image_std.view(3, 1)).view_as(images)

    def _features(self, images: Tensor | Sequence[Tensor]) -> tuple[dict[str, Tensor], Tensor]:
        """Backbone features of the checked, normalised, padded batch; also returns it."""
        images = check_images(images)
        x = self.normalize(images)
        if self.size_divisible > 1:
            h, w = x.shape[-2:]
            pad_h, pad_w = (-h) % self.size_divisible, (-w) % self.size_divisible
            x = F.pad(x, [0, pad_w, 0, pad_h])
        if self.input_scale != 1.0:
            x = F.interpolate(
                x,
                scale_factor=self.input_scale,
                mode="bilinear",
                align_corners=False,
                antialias=True,
            )
        return self.backbone(x), images

    @staticmethod
    def _resize_logits(logits: Tensor, padded: tuple[int, int], crop: Sequence[int]) -> Tensor:
        """Bilinear upsampling to the ``padded`` size, then crop to ``crop = (H, W)``."""
        if logits.shape[-2:] != padded:
            logits = F.interpolate(logits, size=padded, mode="bilinear", align_corners=False)
        return logits[..., : crop[0], : crop[1]]

    def _padded_size(self, images: Tensor) -> tuple[int, int]:
        h, w = images.shape[-2:]
        d = max(self.size_divisible, 1)
        return (h + (-h) % d, w + (-w) % d)

    def forward(self, images: Tensor | Sequence[Tensor]) -> Tensor:
        """Logits ``Float[B, K + 1, H, W]`` for images ``Float[B, 3, H, W]`` in ``[0, 1]``."""
        features, images = self._features(images)
        padded = self._padded_size(images)
        return self._resize_logits(self.head(features), padded, images.shape[-2:])

    @torch.no_grad()
    def predict(self, images: Tensor | Sequence[Tensor]) -> Tensor:
        """Per-pixel labels ``Int64[B, H, W]`` in ``0..K`` (argmax of the logits).

        ``max(dim=1).indices`` is the argmax (the first maximum on ties, as ``argmax``); on the
        CPU it is much faster than ``argmax(dim=1)`` over the channel dimension.
        """
        return self.forward(images).max(dim=1).indices

    def losses(self, images: Tensor | Sequence[Tensor], masks: Tensor) -> dict[str, Tensor]:
        """Loss dict (see the module docstring) for masks ``Int64[B, H, W]``.

        Raises:
            ValueError: masks of the wrong shape or dtype, or with a label outside ``0..K``
                that is not ``ignore_index``.
        """
        features, images = self._features(images)
        self._check_masks(images, masks)
        padded = self._padded_size(images)
        if getattr(self.head, "deep_supervision", False):  # U-Net decoders (unet.py)
            logits, sides = cast(UNetDecoder, self.head).forward_with_sides(features)
        else:
            logits, sides = self.head(features), []
        if self.loss_size == "input":  # masks as given (unpadded); logits up to the input
            size = padded
            crop: Sequence[int] = images.shape[-2:]
            targets: Tensor | SoftTargets = masks
        else:  # masks brought down to the network's or the logits' size
            if self.loss_size == "logits":
                size = (logits.shape[-2], logits.shape[-1])
            else:
                size = network_size(padded, self.input_scale)
            crop = size
            targets = self._downsample_masks(masks, padded, size)
        logits = self._resize_logits(logits, size, crop)
        aux_logits = None
        if self.aux_head is not None:
            aux_logits = self._resize_logits(self.aux_head(features), size, crop)
        deep = []  # finest first, each side output compared at its own size
        source = targets if isinstance(targets, SoftTargets) else masks
        for side in sides:
            side_targets = self._downsample_masks(source, padded, side.shape[-2:])
            deep.append((side, side_targets))
            if isinstance(side_targets, SoftTargets):
                source = side_targets  # area: pool the next, coarser side from this one
        return self.loss(logits, targets, aux_logits, deep)

    def _downsample_masks(
        self, masks: Tensor | SoftTargets, padded: tuple[int, int], size: Sequence[int]
    ) -> Tensor | SoftTargets:
        """Masks ``Int64[B, H, W]`` (padded with ignore to ``padded``) at ``size``, as
        ``target_downsampling`` says: labels (nearest) or :class:`SoftTargets` (area; also
        from finer soft targets)."""
        size = (int(size[0]), int(size[1]))
        if self.target_downsampling == "area":
            return area_targets(masks, padded, size, self.num_classes + 1, self.loss.ignore_index)
        assert isinstance(masks, Tensor), "soft targets come from area downsampling only"
        return subsample_masks(masks, padded, size, self.loss.ignore_index)

    def _check_masks(self, images: Tensor, masks: Tensor) -> None:
        expected = (images.shape[0], *images.shape[-2:])
        if not isinstance(masks, Tensor) or masks.dtype != torch.int64:
            raise ValueError(
                f"masks must be an Int64 tensor [B, H, W], got "
                f"{getattr(masks, 'dtype', type(masks))}."
            )
        if tuple(masks.shape) != expected:
            raise ValueError(
                f"masks shape {tuple(masks.shape)} does not match the images: expected {expected}."
            )
        bad = (masks != self.loss.ignore_index) & ((masks < 0) | (masks > self.num_classes))
        if bool(bad.any()):
            index = int(bad.flatten(1).any(dim=1).nonzero()[0])
            values = masks[index][bad[index]].unique()[:5].tolist()
            raise ValueError(
                f"mask {index} has labels {values} outside 0..{self.num_classes} "
                f"(ignore_index={self.loss.ignore_index})."
            )


def network_size(padded: tuple[int, int], input_scale: float) -> tuple[int, int]:
    """``H x W`` of a padded batch after ``F.interpolate(scale_factor=input_scale)`` (floors)."""
    return (int(padded[0] * input_scale), int(padded[1] * input_scale))


def subsample_masks(
    masks: Tensor, padded: tuple[int, int], size: tuple[int, int], ignore_index: int = 255
) -> Tensor:
    """Nearest subsampling of ``Int64[B, H, W]`` masks to ``Int64[B, h, w]``.

    The masks are first padded with ``ignore_index`` to ``padded`` (the batch as the network
    saw it), so a label keeps its place relative to the resized image.
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


def check_images(images: Tensor | Sequence[Tensor]) -> Tensor:
    """Return ``Float[B, 3, H, W]`` from a batch tensor or a list of same-size ``[3, H, W]``.

    Raises:
        ValueError: wrong rank, channel count, dtype, or list images of different sizes.
    """
    if not isinstance(images, Tensor):
        images = list(images)
        sizes = {tuple(image.shape) for image in images}
        if len(sizes) != 1:
            raise ValueError(
                f"segmentation images in one batch must share a size, got {sizes}; "
                "resize or crop them first."
            )
        images = torch.stack(images)
    if images.dim() != 4 or images.shape[1] != 3:
        raise ValueError(f"images must be Float[B, 3, H, W], got shape {tuple(images.shape)}.")
    if not images.is_floating_point():
        raise ValueError(f"images must be float in [0, 1], got {images.dtype}.")
    return images
