"""Batching semantic segmentation samples into ``[B, 3, H, W]`` images and ``[B, H, W]`` masks.

Images of one batch must share a size to be stacked. :func:`collate_segmentation` pads every
sample at the bottom and right to the largest height and width of the batch: the image with
``0`` and the mask with ``255`` (ignore), so padding never counts as background in the loss or
in mIoU. Training is faster and steadier with a fixed-size crop in the augmentations (e.g.
``PadIfNeeded`` + ``RandomCrop``), which makes this padding a no-op. Validation on images of
different sizes works as is: ``SegBatch.image_sizes`` tells where each image ends, and the
evaluation labels each image at its own size.
Samples that are ``None`` (unreadable files) are dropped and counted.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from detseg.data.loader import build_loader
from detseg.data.seg_transforms import IGNORE_INDEX

__all__ = ["SegBatch", "build_segmentation_loader", "collate_segmentation"]


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
        ValueError: a sample whose mask is not ``[h, w]`` of its image's size (a dataset or
            transform that resizes the image only).
    """
    for i, sample in enumerate(samples):
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
