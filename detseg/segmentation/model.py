"""``SegmentationModel`` = normalisation + backbone + head (+ auxiliary head) + upsampling + loss.

The segmenter contract (``docs/ARCHITECTURE.md``):

- ``forward(images Float[B, 3, H, W] in [0, 1]) -> Float[B, K + 1, H, W]`` logits at the input
  resolution; channel 0 is background, channel ``k`` is label ``k`` (``K`` foreground classes,
  ``model.num_classes == K``).
- ``predict(images) -> Int64[B, H, W]`` labels in ``0..K``.
- ``losses(images, masks Int64[B, H, W]) -> dict``: ``loss_seg`` (cross-entropy), ``loss_dice``
  (when the loss includes Dice), ``loss_aux`` (auxiliary head, cross-entropy times its
  weight); pixels equal to ``ignore_index`` (255) count nowhere. Works in train and eval mode.

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

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.losses import cross_entropy, dice_loss

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
LOSS_KINDS = ("ce", "dice", "ce+dice")
#: Added to a per-image standard deviation (images in [0, 1]) so a flat image stays finite.
PER_IMAGE_EPS = 0.02


@dataclass(frozen=True)
class SegmentationLoss:
    """Which losses a segmenter trains with, and their weights.

    Attributes:
        kind: ``"ce"`` (``loss_seg``), ``"dice"`` (``loss_dice``) or ``"ce+dice"`` (both).
        aux_weight: weight of the auxiliary head's cross-entropy (torchvision uses 0.5).
        dice_weight: weight of ``loss_dice``.
        ignore_index: mask value that is ignored by every loss.
    """

    kind: str = "ce"
    aux_weight: float = 0.5
    dice_weight: float = 1.0
    ignore_index: int = 255

    def __post_init__(self) -> None:
        if self.kind not in LOSS_KINDS:
            raise ValueError(f"loss must be one of {LOSS_KINDS}, got {self.kind!r}.")

    def __call__(
        self, logits: Tensor, masks: Tensor, aux_logits: Tensor | None = None
    ) -> dict[str, Tensor]:
        """Loss dict for logits ``Float[B, C, H, W]`` and masks ``Int64[B, H, W]``.

        Cross-entropy is the mean over non-ignored pixels (zero when all are ignored); Dice is
        ``1 - mean_c dice_c`` over the batch (see ``detseg.losses.dice_loss``).
        """
        losses: dict[str, Tensor] = {}
        parts = self.kind.split("+")
        if "ce" in parts:
            losses["loss_seg"] = cross_entropy(logits, masks, ignore_index=self.ignore_index)
        if "dice" in parts:
            dice = dice_loss(logits, masks, ignore_index=self.ignore_index)
            losses["loss_dice"] = self.dice_weight * dice
        if aux_logits is not None:
            aux = cross_entropy(aux_logits, masks, ignore_index=self.ignore_index)
            losses["loss_aux"] = self.aux_weight * aux
        return losses


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
        loss_at_network_size: with ``input_scale < 1``, ``losses`` compares the logits with
            the masks at the size the network sees (``input_scale`` times the input size): the
            masks are subsampled (nearest) to that size instead of the logits being upsampled
            to the input size. The per-pixel loss work shrinks by ``input_scale ** 2`` (it took
            half of a CPU training step of the shapes U-Net). ``forward`` and ``predict`` are
            unchanged: they always answer at the input size.
    """

    task = "segmentation"

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
        loss_at_network_size: bool = False,
    ) -> None:
        super().__init__()
        if not 0.0 < input_scale <= 1.0:
            raise ValueError(f"input_scale must be in (0, 1], got {input_scale!r}.")
        if num_classes < 1:
            raise ValueError(f"num_classes must be >= 1 (foreground classes), got {num_classes}.")
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
        self.loss_at_network_size = bool(loss_at_network_size)
        self.register_buffer("image_mean", torch.tensor(image_mean).view(3, 1, 1), False)
        self.register_buffer("image_std", torch.tensor(image_std).view(3, 1, 1), False)

    def normalize(self, images: Tensor) -> Tensor:
        """``(images - mean) / std`` for ``Float[B, 3, H, W]`` in ``[0, 1]``; with
        ``per_image_norm`` the mean and std are each image's own, per channel."""
        # On [B, 3, H * W] so that every statistic broadcasts along the last dimension: on a
        # CPU, Tensor.std and a [B, 3, 1, 1] broadcast over H x W took ~20 ms per batch of
        # eight 256 px images, these ~2 ms (same values).
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
        CPU it is ~9x faster than ``argmax(dim=1)`` over the channel dimension (14 vs 130 ms
        for ``[8, 6, 256, 256]`` logits on one thread).
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
        if self.loss_at_network_size and self.input_scale != 1.0:
            size = network_size(padded, self.input_scale)
            masks = subsample_masks(masks, padded, size, self.loss.ignore_index)
            return self._loss_at(features, masks, size, size)
        return self._loss_at(features, masks, padded, images.shape[-2:])

    def _loss_at(
        self,
        features: dict[str, Tensor],
        masks: Tensor,
        padded: tuple[int, int],
        crop: Sequence[int],
    ) -> dict[str, Tensor]:
        """Loss with the logits upsampled to ``padded`` and cropped to ``crop`` (masks' size)."""
        logits = self._resize_logits(self.head(features), padded, crop)
        aux_logits = None
        if self.aux_head is not None:
            aux_logits = self._resize_logits(self.aux_head(features), padded, crop)
        return self.loss(logits, masks, aux_logits)

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
