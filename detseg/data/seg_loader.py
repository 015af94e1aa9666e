"""Batching semantic segmentation samples into ``[B, 3, H, W]`` images and ``[B, H, W]`` masks.

Images of one batch must share a size to be stacked. :func:`collate_segmentation` pads every
sample at the bottom and right to the largest height and width of the batch: the image with
``0`` and the mask with ``255`` (ignore), so padding never counts as background in the loss or
in mIoU. Training is faster and steadier with a fixed-size crop in the augmentations (e.g.
``PadIfNeeded`` + ``RandomCrop``), which makes this padding a no-op. Validation on images of
different sizes works as is: ``SegBatch.image_sizes`` tells where each image ends, and the
evaluation labels each image at its own size.
Samples that are ``None`` (unreadable files) are dropped and counted.

detseg's readers check every label map they read (:mod:`detseg.data.label_maps`); the samples of
a dataset of one's own are checked here (:func:`check_segmentation_sample`), since some of its
usual mistakes would train without a word or fail far from their cause: a mask made with
``torchvision.transforms.functional.to_tensor`` (or ``/ 255``) holds the labels divided by 255,
which as integer labels are all background; a numpy or PIL mask breaks the padding copy with a
``TypeError``; an image as ``[H, W, 3]`` makes its mask's size look wrong; ``-1`` for ignored
pixels (detseg's ignore value is ``255``) is a device-side assert of the cross-entropy on a GPU.
Each is a ``ValueError`` of one line naming the batch position, what is wrong and the fix. The
image's values are not read (the model refuses a non-float image); a mask's values are read from
CPU tensors only (``min``, ``max`` and, for a float mask, whether they are finite and whole).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor
from torch.utils.data import DataLoader, Dataset, Sampler

from detseg.data.loader import build_loader
from detseg.data.seg_transforms import IGNORE_INDEX

__all__ = [
    "SegBatch",
    "build_segmentation_loader",
    "check_segmentation_sample",
    "collate_segmentation",
]


@dataclass
class SegBatch:
    """One batch of segmentation samples.

    Attributes:
        images: ``Float32[B, 3, H, W]`` RGB in ``[0, 1]``, zero-padded at the bottom / right.
        masks: ``Int64[B, H, W]`` labels (``0`` background, ``1..K``, ``255`` ignore and padding).
        skipped_images: Samples of this batch dropped because a file was unreadable
            (``B`` is 0 when every sample was skipped).
        image_sizes: ``(h, w)`` of each sample before padding.
    """

    images: torch.Tensor
    masks: torch.Tensor
    skipped_images: int = 0
    image_sizes: list[tuple[int, int]] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.images.shape[0])

    def to(self, device: torch.device | str, non_blocking: bool = False) -> SegBatch:
        """A copy with images and masks on ``device``."""
        return SegBatch(
            self.images.to(device, non_blocking=non_blocking),
            self.masks.to(device, non_blocking=non_blocking),
            self.skipped_images,
            list(self.image_sizes),
        )

    def pin_memory(self) -> SegBatch:
        """The batch with images and masks in pinned memory (what a
        ``DataLoader(pin_memory=True)`` calls); other attributes (``source_ids``) are kept."""
        pinned = copy.copy(self)
        pinned.images = self.images.pin_memory()
        pinned.masks = self.masks.pin_memory()
        return pinned


def collate_segmentation(samples: list[tuple[torch.Tensor, torch.Tensor] | None]) -> SegBatch:
    """Stack ``(image Float32[3, h, w], mask Int64[h, w])`` samples, padding to a common size.

    Args:
        samples: Dataset items; ``None`` items are dropped and counted.

    Returns:
        The :class:`SegBatch` (images padded with 0, masks with 255).

    Raises:
        ValueError: a sample that is not ``(image Tensor[3, h, w], mask Tensor[h, w])`` of
            whole labels in ``0..255`` (:func:`check_segmentation_sample`: a mask made by
            ``to_tensor``, a numpy mask, ``-1`` for ignored pixels, ...), or whose mask is not
            its image's size (a dataset or transform that resizes the image only).
    """
    for i, sample in enumerate(samples):
        check_segmentation_sample(sample, i)
        if sample is not None and tuple(sample[1].shape) != tuple(sample[0].shape[1:]):
            raise ValueError(
                f"segmentation sample {i} of the batch: mask shape {tuple(sample[1].shape)} "
                f"does not match its image's {tuple(sample[0].shape[1:])} (H, W); resize masks "
                "with their images (nearest) in the dataset and its transforms."
            )
    kept = [s for s in samples if s is not None]
    skipped = len(samples) - len(kept)
    if not kept:
        empty_images = torch.zeros((0, 3, 0, 0), dtype=torch.float32)
        return SegBatch(empty_images, torch.zeros((0, 0, 0), dtype=torch.int64), skipped)
    sizes = [(int(image.shape[1]), int(image.shape[2])) for image, _ in kept]
    height = max(h for h, _ in sizes)
    width = max(w for _, w in sizes)
    images = kept[0][0].new_zeros((len(kept), 3, height, width))
    masks = torch.full((len(kept), height, width), IGNORE_INDEX, dtype=torch.int64)
    for i, (image, mask) in enumerate(kept):
        h, w = sizes[i]
        images[i, :, :h, :w] = image
        masks[i, :h, :w] = mask
    return SegBatch(images, masks, skipped, sizes)


#: The conversion of a label map read as a PIL image or a numpy array into the mask tensor.
MASK_FROM_ARRAY = "torch.as_tensor(np.array(mask), dtype=torch.int64)"


def check_segmentation_sample(sample: Any, position: int) -> None:
    """Refuse a sample that is not ``(image Tensor[3, H, W], mask Tensor[H, W])`` of integer
    labels in ``0..255`` (``None``, a skipped sample, passes).

    Args:
        sample: one item of a segmentation dataset.
        position: its place in the batch, named in the error.

    Raises:
        ValueError: one line naming ``position``, what is wrong and the fix.
    """
    if sample is None:
        return
    problem = _problem(sample)
    if problem:
        raise ValueError(f"segmentation sample {position} of the batch: {problem}")


def _problem(sample: Any) -> str:
    """What is wrong with ``sample`` (``""``: nothing)."""
    if not isinstance(sample, (tuple, list)) or len(sample) != 2:
        found = f"{type(sample).__name__}" + (
            f" of {len(sample)} items" if isinstance(sample, (tuple, list)) else ""
        )
        return (
            f"a segmentation dataset returns (image Float[3, H, W], mask Int64[H, W]) or None, "
            f"got a {found}"
        )
    image, mask = sample
    return _image_problem(image) or _mask_problem(mask)


def _image_problem(image: Any) -> str:
    """The layout of the image: a tensor ``[3, H, W]`` (``[1, H, W]`` is broadcast to RGB)."""
    if not isinstance(image, Tensor):
        return (
            f"image is a {type(image).__module__}.{type(image).__name__}, not a torch.Tensor; "
            "images are Float[3, H, W] RGB in [0, 1]: "
            "torchvision.transforms.functional.to_tensor(image)"
        )
    shape = tuple(image.shape)
    if image.dim() != 3 or shape[0] not in (1, 3):
        fix = ": channels last [H, W, 3] is image.permute(2, 0, 1)" if shape[-1:] == (3,) else ""
        return f"image has shape {shape}; images are Float[3, H, W] RGB in [0, 1]{fix}"
    return ""


def _mask_problem(mask: Any) -> str:
    """A tensor ``[H, W]`` of whole values in ``0..255``."""
    if not isinstance(mask, Tensor):
        kind = f"{type(mask).__module__}.{type(mask).__name__}"
        return f"mask is a {kind}, not a torch.Tensor; masks are Int64[H, W]: {MASK_FROM_ARRAY}"
    shape = tuple(mask.shape)
    if mask.dim() == 3 and shape[0] == 1:
        return f"mask has shape {shape}; masks are Int64[H, W] without a channel: mask[0]"
    if mask.dim() != 2:
        return f"mask has shape {shape}; masks are Int64[H, W] of class indices"
    if mask.device.type != "cpu" or mask.numel() == 0:  # reading would wait for the device
        return ""
    if mask.is_floating_point() and not bool(torch.isfinite(mask).all()):
        return (
            "mask holds nan or inf; masks hold class indices, 0 background, 1..K the classes and "
            f"{IGNORE_INDEX} for ignored pixels: find where the dataset divides by zero or reads "
            "an undefined value"
        )
    if mask.is_floating_point() and bool((mask != mask.round()).any()):
        return (
            f"mask has fractional values (up to {float(mask.max()):g}); masks hold class indices, "
            "0 background, k the k-th class: to_tensor(mask) and mask / 255 divide them by 255, "
            f"use {MASK_FROM_ARRAY}"
        )
    if mask.dtype == torch.bool:
        return ""
    low, high = int(mask.min()), int(mask.max())
    if low < 0:
        return (
            f"mask holds {low}; masks hold 0 background, 1..K the classes and {IGNORE_INDEX} for "
            f"ignored pixels (not negative values): mask[mask < 0] = {IGNORE_INDEX}"
        )
    if high > IGNORE_INDEX:
        return (
            f"mask holds {high}; masks hold 0 background, 1..K the classes (K at most "
            f"{IGNORE_INDEX - 1}) and {IGNORE_INDEX} for ignored pixels"
        )
    return ""


def build_segmentation_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    drop_last: bool = False,
    sampler: Sampler | None = None,
    seed: int | None = None,
    *,
    device: torch.device | str = "cpu",
    prefetch_factor: int = 2,
) -> DataLoader:
    """A ``DataLoader`` that yields :class:`SegBatch` objects.

    Arguments and seeding are those of :func:`detseg.data.loader.build_loader`.

    Args:
        dataset: A segmentation dataset (items ``(image, mask)`` or ``None``).
        batch_size: Samples per batch (before unreadable ones are removed).
        shuffle: Shuffle every epoch (``False`` when a ``sampler`` is given).
        num_workers: Worker processes (0 loads in the main process).
        drop_last: Drop the last incomplete batch.
        sampler: Optional sampler (e.g. ``DistributedSampler``).
        seed: Seeds the shuffling and the augmentations (``None``: nondeterministic).
        device: Where the batches go (pinned memory for CUDA).
        prefetch_factor: Batches each worker prepares ahead.

    Returns:
        The ``DataLoader``.

    Raises:
        ValueError: ``batch_size < 1``, ``num_workers < 0``, ``prefetch_factor < 1``, or
            ``shuffle`` with a ``sampler``.
    """
    return build_loader(
        dataset,
        batch_size,
        shuffle,
        num_workers,
        drop_last,
        sampler,
        seed,
        collate_segmentation,
        device=device,
        prefetch_factor=prefetch_factor,
    )
