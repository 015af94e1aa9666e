"""Batching detection samples, and the resumable training loader.

Datasets yield ``None`` for an unreadable image and count the boxes they dropped in each
target. :func:`collate_detection` removes the ``None`` samples and sums both counts into the
:class:`Batch`, so a training loop sees what was skipped even when samples are loaded in worker
processes (a counter kept on the dataset object would stay in the workers).

:func:`build_train_loader` makes every batch a pure function of ``(seed, epoch, position)``:
the order of an epoch comes from a ``DistributedSampler`` (seeded with ``seed + epoch``; one
shard per process, a single shard without ``torchrun``) and the augmentations of a sample are
re-seeded from ``(seed, epoch, index)`` right before it is loaded, in whichever process loads
it. So the batches do not depend on ``num_workers``, and a run resumed in the middle of an
epoch (:meth:`EpochBatchSampler.skip_next`) sees exactly the batches an uninterrupted run sees.

:func:`worker_options` gives every loader the same worker settings: workers that stay alive
from one epoch to the next (``persistent_workers``) and prepare ``prefetch_factor`` batches
ahead, and, for a CUDA run, batches in pinned (page-locked) memory, from which the copy to the
GPU runs asynchronously (``non_blocking=True``). :class:`Batch` and
:class:`~detseg.data.seg_loader.SegBatch` pin themselves (``pin_memory``).
"""

from __future__ import annotations

import atexit
import copy
import random
import signal
import weakref
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, DistributedSampler, Sampler

from detseg.data.albumentations_import import BaseCompose
from detseg.data.base import ImageDataset
from detseg.data.group_sampler import GroupedBatchSampler
from detseg.data.transforms import seed_augmentations

__all__ = [
    "Batch",
    "EpochBatchSampler",
    "ShardSampler",
    "build_loader",
    "build_train_loader",
    "collate_detection",
    "end_workers_at_exit",
    "reseed_augmentations",
    "sample_seed",
    "seed_worker",
    "worker_options",
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


def reseed_augmentations(dataset: Dataset, seed: int) -> None:
    """Give the dataset's albumentations pipeline (if any) its own random streams from ``seed``.

    See :func:`detseg.data.transforms.seed_augmentations`: every transform gets its own seed,
    so that e.g. a flip and a brightness change are not decided by the same draw.
    """
    pipeline = getattr(dataset, "augmentations", None)
    if isinstance(pipeline, BaseCompose):
        seed_augmentations(pipeline, seed)


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of dataset item ``index`` in ``epoch`` (a uint32)."""
    entropy = [int(seed) % 2**32, int(epoch), int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


def seed_worker(worker_id: int) -> None:
    """Seed numpy, ``random`` and the augmentations of one worker from torch's worker seed.

    Torch gives each worker ``base_seed + worker_id``, with ``base_seed`` drawn from the
    loader's generator when the workers start (once, as they persist from epoch to epoch), so
    workers get different random streams, and a seeded loader repeats them (the training
    loader also re-seeds the augmentations of every sample, see :func:`build_train_loader`).
    Workers ignore SIGINT and SIGTERM: a Ctrl-C (or a scheduler's
    SIGTERM to the job's process group) reaches the workers too, and the training loop (main
    process) must finish its step and write ``last.pt`` while the workers it still reads from
    stay alive. Workers still end with the main process (PyTorch's watchdog and shutdown).
    """
    for signum in (signal.SIGINT, signal.SIGTERM):  # the main process handles them
        signal.signal(signum, signal.SIG_IGN)
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)
    info = torch.utils.data.get_worker_info()
    if info is not None:
        reseed_augmentations(info.dataset, seed)


def worker_options(
    num_workers: int, device: torch.device | str = "cpu", prefetch_factor: int = 2
) -> dict[str, Any]:
    """The ``DataLoader`` keyword arguments of loading with ``num_workers`` for ``device``.

    Args:
        num_workers: Worker processes (0 loads in the main process).
        device: Where the batches go: ``pin_memory`` is on for CUDA only (pinned batches copy
            to the GPU asynchronously; on a CPU pinning would only cost time).
        prefetch_factor: Batches each worker prepares ahead (only with workers).

    Returns:
        ``num_workers``, ``pin_memory``, ``persistent_workers`` (``True`` with workers: they
        are not restarted every epoch), ``worker_init_fn`` (:func:`seed_worker` with workers)
        and, with workers, ``prefetch_factor``.

    Raises:
        ValueError: ``num_workers < 0`` or ``prefetch_factor < 1``.
    """
    if num_workers < 0:
        raise ValueError(f"num_workers must be >= 0, got {num_workers}")
    if prefetch_factor < 1:
        raise ValueError(f"prefetch_factor must be >= 1, got {prefetch_factor}")
    options: dict[str, Any] = {
        "num_workers": num_workers,
        "pin_memory": torch.device(device).type == "cuda",
        "persistent_workers": num_workers > 0,
        "worker_init_fn": seed_worker if num_workers > 0 else None,
    }
    if num_workers > 0:
        options["prefetch_factor"] = prefetch_factor
    return options


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

    Returns:
        The ``DataLoader``.

    Raises:
        ValueError: ``batch_size < 1``, ``num_workers < 0``, ``prefetch_factor < 1``, or
            ``shuffle`` with a ``sampler``.
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
    loader = DataLoader(
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


class EpochBatchSampler(Sampler[list[tuple[int, int]]]):
    """Batches of ``(index, augmentation seed)`` pairs whose order depends only on the epoch.

    Args:
        batch_sampler: Yields lists of dataset indices (``BatchSampler`` or
            :class:`~detseg.data.group_sampler.GroupedBatchSampler`) over ``index_sampler``.
        index_sampler: The ``DistributedSampler`` below ``batch_sampler`` (gets ``set_epoch``).
        seed: Base of the per-sample augmentation seeds (:func:`sample_seed`).
    """

    def __init__(
        self,
        batch_sampler: BatchSampler | GroupedBatchSampler,
        index_sampler: DistributedSampler[int],
        seed: int,
    ) -> None:
        self.batch_sampler = batch_sampler
        self.index_sampler = index_sampler
        self.seed = seed
        self.epoch = 0
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        """Select the order (and augmentation seeds) of ``epoch``."""
        self.epoch = epoch
        self.index_sampler.set_epoch(epoch)

    def skip_next(self, batches: int) -> None:
        """Leave out the first ``batches`` batches of the next pass (mid-epoch resume).

        The skipped batches are index lists only: no image is read or augmented.
        """
        if batches < 0:
            raise ValueError(f"cannot skip a negative number of batches ({batches})")
        self._skip = batches

    def __iter__(self) -> Iterator[list[tuple[int, int]]]:
        skip, self._skip = self._skip, 0
        for position, indices in enumerate(self.batch_sampler):
            if position >= skip:
                yield [(int(i), sample_seed(self.seed, self.epoch, int(i))) for i in indices]

    def __len__(self) -> int:
        """Batches of a whole epoch (the skipped ones included)."""
        return len(self.batch_sampler)


class _SeededItems(Dataset):
    """``dataset[(index, seed)]``: re-seed the augmentations with ``seed``, return the item."""

    def __init__(self, dataset: ImageDataset) -> None:
        self.dataset = dataset

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int]) -> tuple[int, Any]:
        index, seed = key
        reseed_augmentations(self.dataset, seed)
        return index, self.dataset[index]


class _CollateWithIds:
    """Collate the samples and add ``batch.source_ids``: the image ids of every item asked for
    (unreadable ones included), for error messages and per-rank records."""

    def __init__(self, collate_fn: Callable[[list[Any]], Any], image_ids: Sequence[int]) -> None:
        self.collate_fn = collate_fn
        self.image_ids = list(image_ids)

    def __call__(self, items: list[tuple[int, Any]]) -> Any:
        batch = self.collate_fn([sample for _, sample in items])
        batch.source_ids = [int(self.image_ids[index]) for index, _ in items]
        return batch


def build_train_loader(
    dataset: ImageDataset,
    batch_size: int,
    num_workers: int,
    seed: int,
    rank: int = 0,
    world_size: int = 1,
    group_ids: Sequence[int] | None = None,
    collate_fn: Callable[[list[Any]], Any] = collate_detection,
    *,
    device: torch.device | str = "cpu",
    prefetch_factor: int = 2,
) -> DataLoader:
    """The training ``DataLoader``: shuffled, sharded per process, resumable mid-epoch.

    Each process reads ``ceil(len(dataset) / world_size)`` items per epoch (the
    ``DistributedSampler`` repeats a few items so every shard has that length, which keeps
    the processes in step); batches keep the last incomplete one. Call
    ``loader.batch_sampler.set_epoch(epoch)`` before each epoch.

    Args:
        dataset: Training dataset with ``image_ids`` (items ``(image, target)`` or ``None``).
        batch_size: Items per batch in this process.
        num_workers: Loader processes (0 = load in this process); the batches do not depend
            on it.
        seed: Seeds the order of every epoch and every sample's augmentations.
        rank: This process's rank.
        world_size: Number of processes.
        group_ids: Optional group of every item (e.g. its aspect-ratio group): batches are then
            made of one group (see :class:`~detseg.data.group_sampler.GroupedBatchSampler`).
        collate_fn: Turns a list of samples into a batch.
        device: Where the batches go (pinned memory for CUDA; see :func:`worker_options`).
        prefetch_factor: Batches each worker prepares ahead.

    Returns:
        A ``DataLoader`` whose ``batch_sampler`` is an :class:`EpochBatchSampler` and whose
        batches carry ``source_ids`` (image ids of their items).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    options = worker_options(num_workers, device, prefetch_factor)
    index_sampler: DistributedSampler[int] = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=False
    )
    if group_ids is None:
        batches: BatchSampler | GroupedBatchSampler = BatchSampler(
            index_sampler, batch_size, drop_last=False
        )
    else:
        batches = GroupedBatchSampler(index_sampler, group_ids, batch_size)
    loader = DataLoader(
        _SeededItems(dataset),
        batch_sampler=EpochBatchSampler(batches, index_sampler, seed),
        collate_fn=_CollateWithIds(collate_fn, dataset.image_ids),
        generator=torch.Generator().manual_seed(seed),
        **options,
    )
    return end_workers_at_exit(loader)


def shutdown_workers(loader: DataLoader) -> None:
    """End the worker processes of ``loader`` now (nothing when it has none).

    The loaders keep their workers from one pass to the next (``persistent_workers``), and the
    workers ignore SIGTERM (:func:`seed_worker`). A loader still alive when
    the process exits, e.g. held by the traceback of an error raised after the evaluation,
    leaves workers that ``multiprocessing``'s exit handler can neither terminate nor stop
    waiting for: the process would hang. Ending them when the evaluation is done avoids that.
    """
    iterator = getattr(loader, "_iterator", None)  # the persistent workers' iterator
    if iterator is not None and hasattr(iterator, "_shutdown_workers"):
        iterator._shutdown_workers()
    loader._iterator = None


def end_workers_at_exit(loader: DataLoader) -> DataLoader:
    """Make the process end the workers of ``loader`` when it exits; returns ``loader``.

    The workers ignore SIGTERM (:func:`seed_worker`), and ``multiprocessing``'s exit handler
    ends the children it knows with SIGTERM and then waits for them. A loader still alive at
    exit (held by the traceback of an error that ends the process, say) would leave it waiting
    for its workers for ever: a failed training process that never exits, and in a
    distributed run peers that wait for it in their next collective. This exit handler, which
    runs before ``multiprocessing``'s (exit handlers run last registered first), ends the
    workers as :func:`shutdown_workers` does. It holds the loader by a weak reference only.
    """
    if loader.num_workers > 0:
        atexit.register(_shutdown_if_alive, weakref.ref(loader))
    return loader


def _shutdown_if_alive(ref: weakref.ref[DataLoader]) -> None:
    loader = ref()
    if loader is not None:
        shutdown_workers(loader)
