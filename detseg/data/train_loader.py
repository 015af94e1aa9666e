"""The resumable training loader: every batch a pure function of ``(seed, epoch, position)``.

:func:`build_train_loader` takes the order of an epoch from a ``DistributedSampler`` (seeded
with ``seed + epoch``; one shard per process, a single shard without ``torchrun``) and re-seeds
the augmentations of a sample from ``(seed, epoch, index)`` right before it is loaded, in
whichever process loads it. So the batches do not depend on ``num_workers``, and a run resumed
in the middle of an epoch (:meth:`EpochBatchSampler.skip_next`) sees exactly the batches an
uninterrupted run sees. With ``batch_size > 1``, an epoch's last batch of a process that would
hold one image is topped up with the first index of that process's order for the epoch (as the
``DistributedSampler`` pads a shard by repeating items; :class:`ToppedUpBatchSampler`, and
:class:`~detseg.data.group_sampler.GroupedBatchSampler` likewise): a BatchNorm layer cannot
train on one value per channel (an SSDlite's last extra layer has a 1 x 1 map), and the
number of batches, their positions for a resume and the shards' lengths stay as they were.
Separate from :mod:`detseg.data.loader` (batching and the plain loader) because only training
needs this sampling and seeding machinery.

The dataset readers' warnings about an item (``skipping unreadable image ...``, a dropped box)
are said at its first read of the run only: in the first pass the loader gives (the run's first
epoch, from where a mid-epoch resume starts), each image is read once over all processes and
workers, and every later read is quiet (:func:`~detseg.data.said_once.quiet_dataset_warnings`).
A warning said once per process would come again from each worker and each process that reads
the image in a later epoch. The loaders still count every skipped read (``skipped_images``).
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import BatchSampler, DataLoader, Dataset, DistributedSampler, Sampler

from detseg.data.base import ImageDataset
from detseg.data.group_sampler import GroupedBatchSampler
from detseg.data.loader import checks_targets, collate_detection
from detseg.data.loader_workers import (
    WorkerLoader,
    end_workers_at_exit,
    reseed_augmentations,
    worker_options,
)
from detseg.data.said_once import quiet_dataset_warnings
from detseg.data.sample_checks import check_sample, labels_limit

__all__ = ["EpochBatchSampler", "ToppedUpBatchSampler", "build_train_loader", "sample_seed"]


def sample_seed(seed: int, epoch: int, index: int) -> int:
    """The augmentation seed of dataset item ``index`` in ``epoch`` (a uint32)."""
    entropy = [int(seed) % 2**32, int(epoch), int(index)]
    return int(np.random.SeedSequence(entropy).generate_state(1)[0])


class ToppedUpBatchSampler(BatchSampler):
    """A ``BatchSampler`` (``drop_last=False``) whose last batch, where it would hold one index
    and ``batch_size > 1``, gets the pass's first index as well (see the module docstring)."""

    def __init__(self, sampler: Sampler[int], batch_size: int) -> None:
        super().__init__(sampler, batch_size, drop_last=False)

    def __iter__(self) -> Iterator[list[int]]:
        first: int | None = None
        for batch in super().__iter__():
            first = batch[0] if first is None else first
            if len(batch) == 1 and self.batch_size > 1:  # only the last batch can be short
                batch = [*batch, first]
            yield batch


class EpochBatchSampler(Sampler[list[tuple[int, int, bool]]]):
    """Batches of ``(index, augmentation seed, first read)`` items whose order depends only on
    the epoch.

    ``first read`` is ``True`` for the items of the first pass (the first ``__iter__``, after
    its skipped batches) that are not the ``DistributedSampler``'s padding: over all processes,
    each image of the dataset once. Their dataset warnings are said; those of every other item
    are not (see the module docstring).

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
        self._passes = 0

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

    def __iter__(self) -> Iterator[list[tuple[int, int, bool]]]:
        skip, self._skip = self._skip, 0
        first = self._first_reads() if self._passes == 0 else Counter()
        self._passes += 1
        for position, indices in enumerate(self.batch_sampler):
            if position >= skip:
                yield [self._item(int(i), first) for i in indices]

    def _item(self, index: int, first: Counter[int]) -> tuple[int, int, bool]:
        """``(index, seed, first read)``, one first read of ``index`` used up."""
        said = first[index] > 0
        first[index] -= said
        return index, sample_seed(self.seed, self.epoch, index), said

    def _first_reads(self) -> Counter[int]:
        """The indices this process reads in the epoch that no other read of it duplicates:
        its shard of the ``DistributedSampler``'s order less the padding at its end (items of
        the order's start, which another shard or this one reads as well)."""
        shard = list(self.index_sampler)
        sampler = self.index_sampler
        total = len(sampler.dataset)  # type: ignore[arg-type]
        real = len(range(sampler.rank, total, sampler.num_replicas))
        return Counter(int(i) for i in shard[:real])

    def __len__(self) -> int:
        """Batches of a whole epoch (the skipped ones included)."""
        return len(self.batch_sampler)


class _SeededItems(Dataset):
    """``dataset[(index, seed, first read)]``: re-seed the augmentations with ``seed``, return
    the item (checked against the detection target contract when ``check`` is set:
    :func:`~detseg.data.sample_checks.check_sample`, labels up to ``num_classes``, else up to
    the dataset's count: :func:`~detseg.data.sample_checks.labels_limit`). The dataset's
    warnings about the item are said at its ``first read`` only."""

    def __init__(
        self, dataset: ImageDataset, check: bool = False, num_classes: int | None = None
    ) -> None:
        self.dataset = dataset
        self.check = check
        self.num_classes, self.classes_of = labels_limit(dataset, num_classes)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, key: tuple[int, int, bool]) -> tuple[int, Any]:
        index, seed, first_read = key
        reseed_augmentations(self.dataset, seed)
        with contextlib.nullcontext() if first_read else quiet_dataset_warnings():
            sample = self.dataset[index]
        if self.check:
            check_sample(sample, index, self.dataset, self.num_classes, self.classes_of)
        return index, sample


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
    num_classes: int | None = None,
) -> DataLoader:
    """The training ``DataLoader``: shuffled, sharded per process, resumable mid-epoch.

    Each process reads ``ceil(len(dataset) / world_size)`` items per epoch (the
    ``DistributedSampler`` repeats a few items so every shard has that length, which keeps
    the processes in step); batches keep the last incomplete one, topped up with the epoch's
    first index of the process where it would hold one item and ``batch_size > 1``. Call
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
        num_classes: ``K`` the checks hold the labels to (``1..K``): the model's number of
            foreground classes (the training engine passes it); ``None``: the dataset's
            ``num_classes`` or ``len(classes)`` where it has them. Only with the default
            ``collate_fn`` (:func:`~detseg.data.loader.checks_targets`).

    Returns:
        A ``DataLoader`` whose ``batch_sampler`` is an :class:`EpochBatchSampler` and whose
        batches carry ``source_ids`` (image ids of their items). With the default
        ``collate_fn``, every item is checked where it is loaded
        (:mod:`detseg.data.sample_checks`: a target that breaks the contract stops the run with
        a :class:`~detseg.data.sample_checks.TargetError` naming its index).

    Raises:
        ValueError: ``batch_size < 1``, ``num_classes < 1``, or ``num_classes`` with another
            ``collate_fn`` (e.g. the segmentation one, which has no label check to hold).
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    options = worker_options(num_workers, device, prefetch_factor)
    index_sampler: DistributedSampler[int] = DistributedSampler(
        dataset, num_replicas=world_size, rank=rank, shuffle=True, seed=seed, drop_last=False
    )
    if group_ids is None:
        batches: BatchSampler | GroupedBatchSampler = ToppedUpBatchSampler(
            index_sampler, batch_size
        )
    else:
        batches = GroupedBatchSampler(index_sampler, group_ids, batch_size)
    loader = WorkerLoader(
        _SeededItems(
            dataset, check=checks_targets(collate_fn, num_classes), num_classes=num_classes
        ),
        batch_sampler=EpochBatchSampler(batches, index_sampler, seed),
        collate_fn=_CollateWithIds(collate_fn, dataset.image_ids),
        generator=torch.Generator().manual_seed(seed),
        **options,
    )
    return end_workers_at_exit(loader)
