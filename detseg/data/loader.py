"""Batching detection samples, and the plain (evaluation / prediction) loader.

Datasets yield ``None`` for an unreadable image and count the boxes they dropped in each
target. :func:`collate_detection` removes the ``None`` samples and sums both counts into the
:class:`Batch`, so a training loop sees what was skipped even when samples are loaded in worker
processes (a counter kept on the dataset object would stay in the workers).

:func:`build_loader` passes the worker settings of
:func:`~detseg.data.loader_workers.worker_options` (persistent workers, ``prefetch_factor``,
pinned memory for a CUDA run). :class:`Batch` and :class:`~detseg.data.seg_loader.SegBatch` pin
themselves (``pin_memory``). :class:`ShardSampler` splits a dataset between processes without
padding, as evaluation needs. The resumable training loader is
:func:`detseg.data.train_loader.build_train_loader`.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, IterableDataset, Sampler

from detseg.data.loader_workers import (
    WorkerLoader,
    end_workers_at_exit,
    reseed_augmentations,
    worker_options,
)
from detseg.data.sample_checks import CheckedItems

__all__ = [
    "Batch",
    "ShardSampler",
    "build_loader",
    "checks_targets",
    "collate_detection",
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

    def pin_memory(self) -> Batch:
        """The batch with its images and target tensors in pinned memory (what a
        ``DataLoader(pin_memory=True)`` calls); other attributes (``source_ids``) are kept."""
        pinned = copy.copy(self)
        pinned.images = [image.pin_memory() for image in self.images]
        pinned.targets = [
            {k: v.pin_memory() if isinstance(v, torch.Tensor) else v for k, v in t.items()}
            for t in self.targets
        ]
        return pinned


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


def checks_targets(collate_fn: Callable[[list[Any]], Any], num_classes: int | None) -> bool:
    """Whether a loader with ``collate_fn`` checks its items against the detection target
    contract (:mod:`detseg.data.sample_checks`): with :func:`collate_detection` only.

    ``num_classes`` is the ``K`` of those checks, so it is refused with another ``collate_fn``
    rather than ignored. Segmentation label maps (``collate_segmentation``) are checked where
    they are read: detseg's segmentation readers refuse a value outside ``0..K`` and ``255``,
    naming the file, against the dataset's own classes; and a segmenter counts its classes with
    background (``C = K + 1``), so a detection ``K`` would not fit there anyway.

    Raises:
        ValueError: ``num_classes`` is given with a ``collate_fn`` other than
            :func:`collate_detection`.
    """
    if collate_fn is collate_detection:
        return True
    if num_classes is not None:
        name = getattr(collate_fn, "__name__", type(collate_fn).__name__)
        raise ValueError(
            f"num_classes={num_classes} checks detection labels and is used only with "
            f"collate_fn=collate_detection, not {name}: pass num_classes=None (segmentation "
            "readers check their label maps against their classes themselves)"
        )
    return False


def build_loader(
    dataset: Dataset,
    batch_size: int,
    shuffle: bool,
    num_workers: int = 0,
    drop_last: bool = False,
    sampler: Sampler | None = None,
    seed: int | None = None,
    collate_fn: Callable[[list[Any]], Any] = collate_detection,
    *,
    device: torch.device | str = "cpu",
    prefetch_factor: int = 2,
    num_classes: int | None = None,
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
            seed give the same batches. ``None``: nondeterministic (seeded from the operating
            system, not from torch's global generator, which the loader leaves alone).
        collate_fn: Turns a list of samples into a batch; the segmentation loader
            (:func:`detseg.data.seg_loader.build_segmentation_loader`) passes its own.
        device: Where the batches go (pinned memory for CUDA; see :func:`worker_options`).
        prefetch_factor: Batches each worker prepares ahead.
        num_classes: ``K`` the checks hold the labels to (``1..K``): the model's number of
            foreground classes (the training engine passes it); ``None``: the dataset's
            ``num_classes`` or ``len(classes)`` where it has them, else labels are only
            checked to be ``>= 1``.

    Returns:
        The ``DataLoader``. With the default ``collate_fn``, every item is checked against the
        target contract where it is loaded (:mod:`detseg.data.sample_checks`): its ``dataset``
        is then a :class:`~detseg.data.sample_checks.CheckedItems` view of ``dataset``.

    Raises:
        ValueError: ``batch_size < 1``, ``num_workers < 0``, ``prefetch_factor < 1``,
            ``num_classes < 1``, ``num_classes`` with another ``collate_fn``
            (:func:`checks_targets`), or ``shuffle`` with a ``sampler``. Iterating raises
            :class:`~detseg.data.sample_checks.TargetError` (a ``ValueError``) for the first
            item that breaks the contract (an image not ``Float[3, H, W]`` in ``[0, 1]``, a
            mask of 0/255, a label 0 or above ``K``, an ``xywh`` box, boxes without labels ...).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    options = worker_options(num_workers, device, prefetch_factor)
    if sampler is not None and shuffle:
        raise ValueError("shuffle=True cannot be combined with a sampler; the sampler shuffles")
    # The loader's own generator: iterating it never draws from torch's global generator, which
    # it would do once per pass without workers but only once in all with persistent workers,
    # so the model's random draws (e.g. RoI sampling) would depend on num_workers.
    generator = torch.Generator()
    if seed is None:
        generator.seed()  # from the operating system's entropy
    else:
        generator.manual_seed(seed)
        if num_workers == 0:
            reseed_augmentations(dataset, seed)
    if checks_targets(collate_fn, num_classes) and not isinstance(dataset, IterableDataset):
        dataset = CheckedItems(dataset, num_classes)
    loader = WorkerLoader(
        dataset,
        batch_size=batch_size,
        shuffle=shuffle,
        sampler=sampler,
        collate_fn=collate_fn,
        drop_last=drop_last,
        generator=generator,
        **options,
    )
    return end_workers_at_exit(loader)


class ShardSampler(Sampler[int]):
    """Indices ``rank, rank + world_size, ...`` of ``0..size-1``, in order, without padding.

    The shards of all ranks partition the dataset exactly (no duplicate), which evaluation
    needs; their lengths may differ by one.

    Args:
        size: Dataset length.
        rank: This process's rank, ``0 <= rank < world_size``.
        world_size: Number of processes.
    """

    def __init__(self, size: int, rank: int = 0, world_size: int = 1) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank must be in 0..{world_size - 1}, got {rank}")
        self.size, self.rank, self.world_size = size, rank, world_size

    def __iter__(self) -> Iterator[int]:
        return iter(range(self.rank, self.size, self.world_size))

    def __len__(self) -> int:
        return len(range(self.rank, self.size, self.world_size))
