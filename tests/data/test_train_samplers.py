"""The training loader's samplers: epoch order, shards, mid-epoch skip, per-sample augmentation
seeds, aspect-ratio groups and the padding they save (hand-computed cases)."""

from __future__ import annotations

import albumentations as A
import numpy as np
import pytest
import torch
from torch.utils.data import Dataset

from detseg.data.group_sampler import (
    GroupedBatchSampler,
    aspect_ratio_group_ids,
    padding_fraction,
)
from detseg.data.loader import ShardSampler
from detseg.data.loader_workers import reseed_augmentations
from detseg.data.train_loader import build_train_loader, sample_seed


class RandomDataset(Dataset):
    """Item ``i``: a flip decision and a brightness draw of its augmentation pipeline."""

    def __init__(self, size: int) -> None:
        self.image_ids = [100 + i for i in range(size)]
        self.augmentations = A.Compose(
            [A.HorizontalFlip(p=0.5), A.RandomBrightnessContrast(p=0.3)], seed=0
        )

    def __len__(self) -> int:
        return len(self.image_ids)

    def __getitem__(self, index: int):
        flip, bright = self.augmentations.transforms
        return index, (flip.py_random.random(), bright.py_random.random())


class Items(list):
    """A batch that can carry attributes (the loader adds ``source_ids``)."""


def _collate(samples):
    return Items(samples)


def _epoch(loader, epoch: int, skip: int = 0) -> list[list]:
    loader.batch_sampler.set_epoch(epoch)
    loader.batch_sampler.skip_next(skip)
    return [[(i, tuple(draws)) for i, draws in batch] for batch in loader]


def test_batches_depend_on_seed_and_epoch_only_not_on_workers():
    dataset = RandomDataset(10)
    serial = build_train_loader(dataset, 3, 0, seed=7, collate_fn=_collate)
    workers = build_train_loader(dataset, 3, 2, seed=7, collate_fn=_collate)
    first, again = _epoch(serial, 1), _epoch(workers, 1)
    assert first == again
    assert sorted({i for batch in first for i, _ in batch}) == list(range(10))
    assert [len(b) for b in first] == [3, 3, 3, 2]  # the last one topped up: no batch of one
    assert first[-1][1] == first[0][0]  # with the epoch's first item, seed and all
    assert _epoch(serial, 2) != first  # a new epoch, a new order and new augmentations


def test_skip_next_resumes_inside_the_epoch_without_reading_skipped_items():
    dataset = RandomDataset(10)
    loader = build_train_loader(dataset, 2, 0, seed=3, collate_fn=_collate)
    whole = _epoch(loader, 4)
    assert _epoch(loader, 4, skip=3) == whole[3:]
    assert _epoch(loader, 4) == whole  # the skip applies to one pass only
    loader.batch_sampler.set_epoch(4)
    loader.batch_sampler.skip_next(2)
    assert len(loader) == 5  # the epoch's length counts the skipped batches


def test_loader_records_the_image_ids_of_each_batch():
    dataset = RandomDataset(5)
    loader = build_train_loader(dataset, 2, 0, seed=0, collate_fn=_collate)
    loader.batch_sampler.set_epoch(0)
    batches = list(loader)
    assert [len(batch) for batch in batches] == [2, 2, 2]  # 1 item left: topped up
    for batch in batches:
        assert batch.source_ids == [100 + i for i, _ in batch]
    assert sorted(set(i for batch in batches for i in batch.source_ids)) == dataset.image_ids


def test_shards_of_two_ranks_are_disjoint_and_cover_the_epoch():
    dataset = RandomDataset(9)
    shards = []
    for rank in (0, 1):
        loader = build_train_loader(
            dataset,
            batch_size=2,
            num_workers=0,
            seed=5,
            rank=rank,
            world_size=2,
            collate_fn=_collate,
        )
        shards.append([i for batch in _epoch(loader, 0) for i, _ in batch])
    # ceil(9 / 2) = 5 items a shard (one item is repeated), in batches of 2, 2 and 1 + 1 repeat
    assert len(set(shards[0])) == len(set(shards[1])) == 5
    assert len(shards[0]) == len(shards[1]) == 6
    assert shards[0][-1] == shards[0][0] and shards[1][-1] == shards[1][0]
    assert set(shards[0]) | set(shards[1]) == set(range(9))
    assert len(set(shards[0]) & set(shards[1])) == 1
    assert [list(ShardSampler(7, r, 3)) for r in range(3)] == [[0, 3, 6], [1, 4], [2, 5]]


def test_each_transform_gets_its_own_seed():
    """albumentations seeds every transform of a Compose alike: flip and brightness decisions
    would coincide. After reseed_augmentations their first draws differ."""
    dataset = RandomDataset(1)
    flip, bright = dataset.augmentations.transforms
    dataset.augmentations.set_random_seed(11)
    assert flip.py_random.random() == bright.py_random.random()  # the library's behaviour
    reseed_augmentations(dataset, 11)
    assert flip.py_random.random() != bright.py_random.random()
    reseed_augmentations(dataset, 11)
    again = dataset[0][1]
    reseed_augmentations(dataset, 11)
    assert dataset[0][1] == again
    assert sample_seed(0, 1, 2) == sample_seed(0, 1, 2) != sample_seed(0, 2, 1)


def test_aspect_ratio_groups_hand_computed():
    sizes = [(100, 200), (200, 100), (100, 100), (100, 99), (99, 100), (300, 100)]
    assert aspect_ratio_group_ids(sizes, 2) == [0, 1, 1, 1, 0, 1]  # split at h / w = 1
    # 4 groups: edges 2 ** -0.5, 1, 2 ** 0.5
    assert aspect_ratio_group_ids(sizes, 4) == [0, 3, 2, 2, 1, 3]
    with pytest.raises(ValueError, match="num_groups"):
        aspect_ratio_group_ids(sizes, 1)


def test_grouped_batches_are_single_group_until_the_leftovers():
    groups = [0, 1, 0, 1, 1, 0, 1, 0, 0]
    batches = list(GroupedBatchSampler(range(9), groups, 2))
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 7], [8, 0]]  # topped up: no batch of one
    groups = [0, 1, 0, 1, 1]
    batches = list(GroupedBatchSampler(range(5), groups, 2))
    assert batches == [[0, 2], [1, 3], [4, 0]]
    assert len(GroupedBatchSampler(range(5), groups, 2)) == 3
    mixed = list(GroupedBatchSampler(range(4), [0, 1, 2, 3], 3))  # leftovers of 4 groups
    assert mixed == [[0, 1, 2], [3, 0]]
    assert list(GroupedBatchSampler(range(5), [0, 1, 2, 3, 4], 3)) == [[0, 1, 2], [3, 4]]
    assert list(GroupedBatchSampler(range(3), [0, 1, 0], 1)) == [[0], [1], [2]]  # size 1: as is


def test_padding_fraction_hand_computed():
    # one batch: 100x200 and 200x100 padded to 200x200 -> 40000 real of 80000 pixels
    assert padding_fraction([[(100, 200), (200, 100)]]) == pytest.approx(0.5)
    # grouped: no padding
    assert padding_fraction([[(100, 200)], [(200, 100)]]) == 0.0
    # divisor 32: 100 -> 128
    assert padding_fraction([[(100, 100)]], divisor=32) == pytest.approx(1 - 100**2 / 128**2)


def test_grouping_reduces_padding_on_mixed_shapes():
    rng = np.random.default_rng(0)
    sizes = [(375, 500) if rng.random() < 0.6 else (500, 375) for _ in range(200)]
    order = torch.randperm(200, generator=torch.Generator().manual_seed(0)).tolist()
    plain = [[sizes[i] for i in order[k : k + 4]] for k in range(0, 200, 4)]
    grouped_batches = GroupedBatchSampler(order, aspect_ratio_group_ids(sizes, 2), 4)
    grouped = [[sizes[i] for i in batch] for batch in grouped_batches]
    assert padding_fraction(grouped) < 0.05 < 0.15 < padding_fraction(plain)
