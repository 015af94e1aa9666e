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

import math
from collections.abc import Mapping, Sequence
from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.ops.padding import host_reads_are_free
from detseg.segmentation.loss import (
    TARGET_DOWNSAMPLING,
    SegmentationLoss,
    SoftTargets,
    area_targets,
    subsample_masks,
)
from detseg.segmentation.per_image_norm import standardized_per_image
from detseg.segmentation.unet import UNetDecoder

#: Where ``SegmentationModel.losses`` compares logits and masks (see ``SegmentationModel``).
LOSS_SIZES = ("input", "network", "logits")
#: Half-precision dtypes: logits and antialiased resizes are computed in float32 for them.
HALF_DTYPES = (torch.float16, torch.bfloat16)


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
            of this before the backbone, and the logits are cropped back (FCN-VGG uses 32, a
            U-Net on VGG 16); with ``input_scale`` below 1 it is padded further where needed,
            so that the network still sees at least this many pixels a side.
        per_image_norm: standardise each image by its own per-channel mean and standard
            deviation (plus ``PER_IMAGE_EPS``) instead of ``image_mean`` / ``image_std``. The
            statistics cover the whole ``H x W`` of the tensor, padding included.
        input_scale: the normalised (padded) batch is resized by this factor (bilinear with
            antialiasing) before the backbone, to ``floor(side * input_scale)`` pixels a side
            and by the ratio of the sizes, which the upsampling of the logits to the input
            size inverts. 0.5 runs the network on a quarter of the pixels: on a CPU, four
            times the training steps for the same time, at the cost of detail finer than 2
            pixels.
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

    Raises:
        ValueError: ``input_scale`` outside ``(0, 1]``, ``num_classes < 1`` or so large
            that the loss's ``ignore_index`` (255) would be a class label, an unknown
            ``loss_size`` or ``target_downsampling``, or ``image_mean`` / ``image_std`` not 3
            values (std > 0).
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
        self.loss = loss or SegmentationLoss()
        if 0 <= self.loss.ignore_index <= num_classes:
            raise ValueError(
                f"num_classes={num_classes} reaches ignore_index {self.loss.ignore_index}: label "
                f"{self.loss.ignore_index} marks void pixels and would never be trained as a "
                f"class; use at most {self.loss.ignore_index - 1} foreground classes."
            )
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
        _check_head_levels(backbone, head, aux_head)
        self.backbone = backbone
        self.head = head
        self.aux_head = aux_head
        self.num_classes = num_classes
        self.size_divisible = int(size_divisible)
        self.per_image_norm = bool(per_image_norm)
        self.input_scale = float(input_scale)
        self.loss_size = loss_size
        self.target_downsampling = target_downsampling
        self.register_buffer("image_mean", torch.tensor(image_mean).view(3, 1, 1), False)
        self.register_buffer("image_std", torch.tensor(image_std).view(3, 1, 1), False)

    def normalize(self, images: Tensor) -> Tensor:
        """``(images - mean) / std`` for ``Float[B, 3, H, W]`` in ``[0, 1]``; with
        ``per_image_norm`` the mean and std are each image's own, per channel. The result has
        the dtype of the model's buffers (a float64 image meets float32 weights)."""
        # On [B, 3, H * W] so that every statistic broadcasts along the last dimension: on a
        # CPU this is several times faster than Tensor.std and a [B, 3, 1, 1] broadcast over
        # H x W (same values).
        if self.per_image_norm:
            dof = max(images.shape[2] * images.shape[3] - 1, 1)  # sample std, as Tensor.std
            return standardized_per_image(images.to(self.image_mean.dtype), dof**0.5)
        flat = images.flatten(2).to(self.image_mean.dtype)
        return ((flat - self.image_mean.view(3, 1)) / self.image_std.view(3, 1)).view_as(images)

    def _features(self, images: Tensor | Sequence[Tensor]) -> tuple[dict[str, Tensor], Tensor]:
        """Backbone features of the checked, normalised, padded batch; also returns it."""
        images = check_images(images)
        device = self.image_mean.device
        if images.device != device:
            raise ValueError(
                f"images are on {images.device} but the model is on {device}: move them with "
                f".to({str(device)!r})."
            )
        x = self.normalize(images)
        padded_h, padded_w = self._padded_size(images)
        if (padded_h, padded_w) != tuple(x.shape[-2:]):
            x = F.pad(x, [0, padded_w - x.shape[-1], 0, padded_h - x.shape[-2]])
        if self.input_scale != 1.0:
            # to a size, not by the factor: the logits go back to the padded size by the ratio
            # of the sizes, so both resizes map pixel centres by it (37 -> 18 -> 37 px)
            x = antialiased_resize(x, network_size((padded_h, padded_w), self.input_scale))
        features = self.backbone(x)
        if not isinstance(features, dict):
            raise ValueError(
                f"backbone {type(self.backbone).__name__} returned {type(features).__name__}; "
                "a backbone returns an OrderedDict[str, Tensor] of its levels, finest first "
                "(the contract of detseg.backbones.Backbone)"
            )
        return features, images

    @staticmethod
    def _resize_logits(logits: Tensor, padded: tuple[int, int], crop: Sequence[int]) -> Tensor:
        """Bilinear upsampling to the ``padded`` size, then crop to ``crop = (H, W)``."""
        if logits.shape[-2:] != padded:
            logits = F.interpolate(logits, size=padded, mode="bilinear", align_corners=False)
        return logits[..., : crop[0], : crop[1]]

    def _padded_size(self, images: Tensor) -> tuple[int, int]:
        """``(H, W)`` of ``images`` rounded up to multiples of ``size_divisible`` (and, for an
        image a few pixels high or wide, up to what keeps ``size_divisible`` pixels a side after
        the ``input_scale`` resize: see :func:`padded_side`)."""
        h, w = images.shape[-2:]
        return (
            padded_side(int(h), self.size_divisible, self.input_scale),
            padded_side(int(w), self.size_divisible, self.input_scale),
        )

    def forward(self, images: Tensor | Sequence[Tensor]) -> Tensor:
        """Logits ``Float[B, K + 1, H, W]`` for images ``Float[B, 3, H, W]`` in ``[0, 1]``.

        ``images`` may also be a list of same-size ``Float[3, H, W]``. A model cast to half
        precision (``model.to(torch.bfloat16)``, ``model.half()``) gives ``Float32`` logits:
        its head's output is upsampled and returned in float32, so the probabilities, the
        test-time augmentation and the CRF after it work in float32.

        Raises:
            ValueError: images that are not float ``[B, 3, H, W]`` (see :func:`check_images`)
                or not on the model's device; a head whose logits are not ``[B, K + 1, h, w]``
                or a backbone that returns no dict of levels.
        """
        features, images = self._features(images)
        padded = self._padded_size(images)
        logits = self._checked_logits(self.head(features))
        if logits.dtype in HALF_DTYPES:
            logits = logits.float()
        return self._resize_logits(logits, padded, images.shape[-2:])

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
            ValueError: bad images (see :func:`check_images`), images or masks not on the
                model's device, masks of the wrong shape or dtype, or (masks on the CPU) with
                a label outside ``0..K`` that is not ``ignore_index``. On a GPU that check
                would make the host wait for the device in every step; the datasets check
                every label map when they read it (``detseg.data.label_maps.check_label_map``);
                a head whose logits are not ``[B, K + 1, h, w]`` or a backbone that returns
                no dict of levels.
        """
        features, images = self._features(images)
        self._check_masks(images, masks)
        padded = self._padded_size(images)
        if getattr(self.head, "deep_supervision", False):  # U-Net decoders (unet.py)
            logits, sides = cast(UNetDecoder, self.head).forward_with_sides(features)
        else:
            logits, sides = self.head(features), []
        logits = self._checked_logits(logits)
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

    def _checked_logits(self, logits: Tensor) -> Tensor:
        """``logits`` ``Float[B, K + 1, h, w]`` from the head, refused (``ValueError``) with
        another channel count: a head built with ``K`` logits instead of ``K + 1``."""
        if logits.dim() != 4 or logits.shape[1] != self.num_classes + 1:
            raise ValueError(
                f"head {type(self.head).__name__} gives logits of shape {tuple(logits.shape)}; "
                f"a model of {self.num_classes} classes needs [B, {self.num_classes + 1}, h, w] "
                "(num_classes + 1: background included): build the head with num_classes + 1 "
                "logits"
            )
        return logits

    def _check_masks(self, images: Tensor, masks: Tensor) -> None:
        """Raise ``ValueError`` unless ``masks`` is ``Int64[B, H, W]`` matching ``images`` with
        labels in ``0..K`` or ``ignore_index`` (the labels only where reading them is free)."""
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
        if masks.device != images.device:
            raise ValueError(
                f"masks are on {masks.device} but the images and the model on {images.device}: "
                f"move them with .to({str(images.device)!r})."
            )
        if not host_reads_are_free(masks.device) or torch.compiler.is_compiling():
            return  # no host read in a GPU step: the datasets check every label map they read
        bad = (masks != self.loss.ignore_index) & ((masks < 0) | (masks > self.num_classes))
        if bool(bad.any()):
            index = int(bad.flatten(1).any(dim=1).nonzero()[0])
            values = masks[index][bad[index]].unique()[:5].tolist()
            raise ValueError(
                f"mask {index} has labels {values} outside 0..{self.num_classes} "
                f"(ignore_index={self.loss.ignore_index})."
            )


def _check_head_levels(backbone: nn.Module, *heads: nn.Module | None) -> None:
    """Raise ``ValueError`` when a head's ``in_features`` names a level that the backbone's
    ``out_channels`` does not declare (checked where both attributes exist)."""
    levels = getattr(backbone, "out_channels", None)
    if not isinstance(levels, Mapping):
        return
    for head in heads:
        missing = [name for name in getattr(head, "in_features", ()) if name not in levels]
        if missing:
            raise ValueError(
                f"head {type(head).__name__} reads the level(s) {missing} but the backbone "
                f"{type(backbone).__name__} gives {list(levels)}; build the head with "
                "in_feature (low_feature / high_feature) among those"
            )


def antialiased_resize(x: Tensor, size: tuple[int, int]) -> Tensor:
    """``x`` ``[B, C, H, W]`` resized to ``size`` (bilinear, antialiased), in its own dtype.

    The CPU kernel of the antialiased resize has no float16 / bfloat16 version: half
    precision input (a model cast with ``model.to(torch.bfloat16)``) is resized in float32 and
    cast back.
    """
    source = x.float() if x.dtype in HALF_DTYPES else x
    resized = F.interpolate(source, size=size, mode="bilinear", align_corners=False, antialias=True)
    return resized.to(x.dtype)


def network_size(padded: tuple[int, int], input_scale: float) -> tuple[int, int]:
    """``H x W`` the network sees for a ``padded`` batch: ``input_scale`` times each side,
    floored (``F.interpolate(scale_factor=input_scale)``'s output size)."""
    return (int(padded[0] * input_scale), int(padded[1] * input_scale))


def padded_side(side: int, size_divisible: int, input_scale: float) -> int:
    """``side`` rounded up to a multiple of ``size_divisible``, then, if the ``input_scale``
    resize would leave the network fewer than ``size_divisible`` pixels of it, by further
    multiples until it leaves that many.

    At scale 1 the rounding alone does it. Below 1, a 1-pixel-high image at scale 0.5 would
    be resized to 0 rows (``F.interpolate`` refuses an empty output), and a 17 x 9 image
    padded to 32 x 16 for a VGG pyramid (``size_divisible=16``) would reach it as 16 x 8,
    which its floor pools empty before the stride-16 level (``Output size is too small``).
    """
    divisor = max(int(size_divisible), 1)
    padded = side + (-side) % divisor
    if int(padded * input_scale) < divisor:
        least = math.ceil(divisor / input_scale)
        padded = least + (-least) % divisor
        while int(padded * input_scale) < divisor:  # float rounding of divisor / input_scale
            padded += divisor
    return padded


def check_images(images: Tensor | Sequence[Tensor]) -> Tensor:
    """Return ``Float[B, 3, H, W]`` from a batch tensor or a list of same-size ``[3, H, W]``.

    Raises:
        ValueError: wrong rank, channel count, dtype, an empty list, or list images of
            different sizes.
    """
    if not isinstance(images, Tensor):
        images = list(images)
        if not images:
            raise ValueError("images is empty: pass at least one [3, H, W] tensor.")
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
