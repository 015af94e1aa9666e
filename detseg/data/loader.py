"""Batching detection samples.

Datasets yield ``None`` for an unreadable image and count the boxes they dropped in each
target. :func:`collate_detection` removes the ``None`` samples and sums both counts into the
:class:`Batch`, so a training loop sees what was skipped even when samples are loaded in worker
processes (a counter kept on the dataset object would stay in the workers).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

__all__ = [
    "Batch",
    "build_loader",
    "collate_detection",
    "reseed_augmentations",
    "seed_worker",
]


@dataclass
class Batch:
    """One batch of detection samples.

    Attributes:
        images: ``Float32[3, H_i, W_i]`` RGB images in ``[0, 1]`` (sizes may differ).
        targets: Target dicts aligned with ``images`` (``boxes`` ``xyxy`` px, ``labels``, ...).
        skipped_images: Samples of this batch that were dropped because the image was unreadable.
            A batch may hold no images at all when every sample was skipped.
        dropped_boxes: Boxes the datasets dropped (invalid or degenerate) in the kept samples.
    """

    images: list[torch.Tensor]
    targets: list[dict[str, Any]]
    skipped_images: int = 0
    dropped_boxes: int = 0
    image_ids: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.images)

    def to(self, device: torch.device | str, non_blocking: bool = False) -> Batch:
        """A copy with the images and every tensor in the targets moved to ``device``."""
        images = [img.to(device, non_blocking=non_blocking) for img in self.images]
        targets = [
            {
                key: value.to(device, non_blocking=non_blocking)
                if isinstance(value, torch.Tensor)
                else value
                for key, value in target.items()
            }
            for target in self.targets
        ]
        return Batch(images, targets, self.skipped_images, self.dropped_boxes, list(self.image_ids))


def collate_detection(samples: list[tuple[torch.Tensor, dict[str, Any]] | None]) -> Batch:
    """Collate ``(image, target)`` samples into a :class:`Batch`, dropping ``None`` samples."""
    kept = [s for s in samples if s is not None]
    targets = [target for _, target in kept]
    return Batch(
        images=[image for image, _ in kept],
        targets=targets,
        skipped_images=len(samples) - len(kept),
        dropped_boxes=sum(int(t.get("dropped_boxes", 0)) for t in targets),
        image_ids=[int(t["image_id"]) for t in targets if "image_id" in t],
    )


def reseed_augmentations(dataset: Dataset, seed: int) -> None:
    """Give the dataset's albumentations pipeline (if any) its own random stream."""
    pipeline = getattr(dataset, "augmentations", None)
    if pipeline is not None and hasattr(pipeline, "set_random_seed"):
        pipeline.set_random_seed(seed)


def seed_worker(worker_id: int) -> None:
    """Seed numpy, ``random`` and the augmentations of one worker from torch's worker seed.

    Torch gives each worker ``base_seed + worker_id``, with ``base_seed`` drawn from the
    loader's generator every epoch, so workers and epochs get different augmentations, and a
    seeded loader repeats them.
    """
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    if info is not None:
        reseed_augmentations(info.dataset, seed)


def build_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    drop_last: bool = False,
    sampler: Sampler | None = None,
    seed: int | None = None,
    collate_fn: Callable[[list[Any]], Any] = collate_detection,
) -> DataLoader:
    """A ``DataLoader`` that yields :class:`Batch` objects (with the default ``collate_fn``).

    Args:
        dataset: A detection dataset (items ``(image, target)`` or ``None``).
        batch_size: Samples per batch (before unreadable ones are removed).
        shuffle: Shuffle every epoch (must be ``False`` when ``sampler`` is given, e.g. a
            ``DistributedSampler``, which shuffles itself).
        num_workers: Worker processes (0 loads in the main process).
        drop_last: Drop the last incomplete batch.
        sampler: Optional sampler.
        seed: Seeds the shuffling and the augmentation streams, so two loaders with the same
            seed give the same batches. ``None``: nondeterministic.
        collate_fn: Turns a list of samples into a batch; the segmentation loader
            (:func:`detseg.data.seg_loader.build_segmentation_loader`) passes its own.

    Returns:
        The ``DataLoader``.

    Raises:
        ValueError: ``batch_size < 1``, ``num_workers < 0``, or ``shuffle`` with a ``sampler``.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if sampler is not None and shuffle:
        raise ValueError("shuffle=True cannot be combined with a sampler; the sampler shuffles")
    generator = None
    if seed is not None:
        generator = torch.Generator().manual_seed(seed)
        if num_workers == 0:
            reseed_augmentations(dataset, seed)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        num_workers=num_workers,
        collate_fn=collate_fn,
        drop_last=drop_last,
        worker_init_fn=seed_worker if num_workers > 0 else None,
        generator=generator,
        persistent_workers=False,
    )
