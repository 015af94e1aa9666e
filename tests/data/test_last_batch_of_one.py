"""An epoch's last batch that would hold one image (per process) is topped up with the first
index of that process's order for the epoch, when ``batch_size > 1``: a BatchNorm layer cannot
train on one value per channel (an SSDlite's last extra layer has a 1 x 1 map). The number of
batches, the shards' lengths and a mid-epoch resume stay as they were; ``batch_size`` 1 is
unchanged."""

from __future__ import annotations

import pytest
from torch.utils.data import Dataset

from detseg.data.group_sampler import GroupedBatchSampler
from detseg.data.train_loader import build_train_loader


class Indices(Dataset):
    def __init__(self, size: int) -> None:
        self.image_ids = list(range(100, 100 + size))

    def __len__(self) -> int:
        return len(self.image_ids)

    def __getitem__(self, index: int) -> int:
        return index


def _sampler(size: int, batch: int, grouped: bool, rank: int = 0, world_size: int = 1):
    groups = [i % 2 for i in range(size)] if grouped else None
    loader = build_train_loader(
        Indices(size), batch, 0, seed=3, rank=rank, world_size=world_size, group_ids=groups
    )
    return loader.batch_sampler


def _epoch(sampler, epoch: int, skip: int = 0) -> list[list[tuple[int, int]]]:
    sampler.set_epoch(epoch)
    sampler.skip_next(skip)
    return [[(index, seed) for index, seed, _ in batch] for batch in sampler]


@pytest.mark.parametrize("grouped", [False, True])
def test_three_images_at_batch_two_give_two_batches_of_two(grouped):
    sampler = _sampler(3, 2, grouped)
    for epoch in range(3):
        batches = _epoch(sampler, epoch)
        assert [len(b) for b in batches] == [2, 2]
        order = list(sampler.index_sampler)
        assert batches[-1][-1][0] == order[0]  # the repeat: the epoch's first index
        assert [item for b in batches for item in b].count(batches[-1][-1]) == 2  # seed too
        assert sorted({i for b in batches for i, _ in b}) == [0, 1, 2]
        assert len(sampler) == 2


@pytest.mark.parametrize("grouped", [False, True])
def test_batch_size_one_is_unchanged(grouped):
    batches = _epoch(_sampler(3, 1, grouped), 0)
    assert [len(b) for b in batches] == [1, 1, 1]
    assert sorted(i for b in batches for i, _ in b) == [0, 1, 2]


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize(("size", "batch"), [(7, 3), (9, 4), (5, 2), (8, 2), (6, 4)])
def test_only_a_last_batch_of_one_is_topped_up(size, batch, grouped):
    batches = _epoch(_sampler(size, batch, grouped), 1)
    sizes = [len(b) for b in batches]
    last = size % batch
    assert len(sizes) == -(-size // batch)
    assert sizes[-1] == (2 if last == 1 else last or batch)
    assert sorted({i for b in batches for i, _ in b}) == list(range(size))


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize(("size", "world_size"), [(5, 2), (9, 4), (2, 3)])
def test_processes_stay_in_step_and_each_tops_up_its_own_shard(size, world_size, grouped):
    samplers = [_sampler(size, 2, grouped, rank, world_size) for rank in range(world_size)]
    epochs = [_epoch(sampler, 2) for sampler in samplers]
    assert len({tuple(len(b) for b in e) for e in epochs}) == 1  # same batches on every rank
    for sampler, batches in zip(samplers, epochs, strict=True):
        assert all(len(b) == 2 for b in batches)
        shard = list(sampler.index_sampler)  # this rank's order of epoch 2
        assert len(shard) == -(-size // world_size)
        if len(shard) % 2 == 1:
            assert batches[-1][-1][0] == shard[0]


@pytest.mark.parametrize("grouped", [False, True])
@pytest.mark.parametrize("skip", [0, 1, 2])
def test_a_mid_epoch_resume_sees_the_same_topped_up_batches(grouped, skip):
    whole = _epoch(_sampler(5, 2, grouped), 4)
    assert [len(b) for b in whole] == [2, 2, 2]
    resumed = _epoch(_sampler(5, 2, grouped), 4, skip=skip)  # a new process, as after a restart
    assert resumed == whole[skip:]


def test_group_sampler_keeps_full_batches_to_one_group():
    groups = [0, 1, 0, 1, 1, 0, 1]
    batches = list(GroupedBatchSampler(range(7), groups, 2))
    assert batches == [[0, 2], [1, 3], [4, 6], [5, 0]]
    assert all(len({groups[i] for i in b}) == 1 for b in batches[:3])
