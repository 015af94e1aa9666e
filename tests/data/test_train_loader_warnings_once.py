"""The dataset's warning about an unreadable train image is said once per run: at its read in
the run's first epoch, whichever process and loader worker reads it; later epochs, other
workers and other processes read it quietly. Every read is still counted as skipped.

Loader workers log in their own processes, which pytest's ``caplog`` does not see: the warnings
are written to a file by a handler the workers inherit.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn
from torch.utils.data import Dataset

from detseg.config import load_config
from detseg.data.said_once import say_dataset_warnings_once
from detseg.data.shapes import generate_shapes
from detseg.data.train_loader import build_train_loader
from detseg.engine import train

REPO = Path(__file__).resolve().parents[2]

#: The logger of the dataset readers' unreadable-image warning.
READER_LOGGER = "detseg.data.base"


class OneUnreadable(Dataset):
    """``size`` items; item ``bad`` is unreadable (``None``, with the reader's warning)."""

    def __init__(self, size: int, bad: int) -> None:
        self.image_ids = list(range(size))
        self.bad = bad

    def __len__(self) -> int:
        return len(self.image_ids)

    def __getitem__(self, index: int):
        if index == self.bad:
            logging.getLogger(READER_LOGGER).warning(
                "skipping unreadable image (index %d): cannot read image %d.png", index, index
            )
            return None
        return index


class Items(list):
    """A batch that can carry attributes (the loader adds ``source_ids``)."""


def _collate(samples):
    return Items(samples)


@contextmanager
def warnings_in(path: Path) -> Iterator[None]:
    """The reader's warnings of this process and of the loader workers it starts, in ``path``."""
    handler = logging.FileHandler(path, mode="a")
    handler.setLevel(logging.WARNING)
    reader = logging.getLogger(READER_LOGGER)
    reader.addHandler(handler)
    try:
        yield
    finally:
        reader.removeHandler(handler)
        handler.close()


@pytest.mark.parametrize("num_workers", [0, 2])
def test_an_unreadable_item_is_named_once_over_epochs_ranks_and_workers(tmp_path, num_workers):
    """Each rank's pass over an epoch starts with nothing said, as in a process of its own (a
    rank, or workers started afresh each epoch): what one process has said already cannot
    keep the later reads quiet, only their not being the item's first read can."""
    dataset = OneUnreadable(size=5, bad=3)  # 2 ranks: one shard is padded each epoch
    log = tmp_path / "warnings.log"
    reads = 0
    with warnings_in(log):
        loaders = [
            build_train_loader(
                dataset, 2, num_workers, seed=1, rank=rank, world_size=2, collate_fn=_collate
            )
            for rank in (0, 1)
        ]
        for epoch in range(3):
            for loader in loaders:
                say_dataset_warnings_once()  # this process has said nothing yet
                loader.batch_sampler.set_epoch(epoch)
                for batch in loader:
                    reads += batch.source_ids.count(dataset.bad)
                    assert batch.count(None) == batch.source_ids.count(dataset.bad)
    assert reads >= 3  # read in every epoch, and each read skipped
    lines = log.read_text().splitlines()
    assert lines == ["skipping unreadable image (index 3): cannot read image 3.png"]


def test_a_tiny_run_names_its_unreadable_image_once_and_counts_each_read(tmp_path):
    shapes = tmp_path / "shapes"
    generate_shapes(shapes, num_train=6, num_val=2, size=64, seed=1)
    broken = shapes / "train" / "images" / "000002.png"
    broken.write_bytes(b"not a png")
    sets = [
        *tiny_faster_rcnn(size=64, representation_size=32),
        *SMALL_HEADS,
        "train.epochs=2",
        "train.batch_size=2",
        "train.num_workers=2",
        "train.tensorboard=false",
        "eval.batch_size=2",
        "device=cpu",
        f"data.root={shapes}",
    ]
    cfg = load_config(REPO / "configs" / "demo.yaml", sets)
    log = tmp_path / "warnings.log"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with warnings_in(log):
            result = train(cfg, tmp_path / "run")
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0
    said = [line for line in log.read_text().splitlines() if "skipping unreadable" in line]
    assert len(said) == 1 and str(broken) in said[0], said
    assert result.totals["skipped_images"] == 2  # one read in each epoch


@pytest.mark.parametrize(("size", "world_size"), [(5, 2), (7, 3), (4, 4), (2, 3)])
def test_first_reads_cover_every_image_once_over_the_shards(size, world_size):
    """The first pass's ``first read`` items, over all ranks: each index exactly once, the
    ``DistributedSampler``'s padding (which repeats items) and the later passes quiet."""
    dataset = OneUnreadable(size=size, bad=-1)
    samplers = [
        build_train_loader(dataset, 2, 0, seed=5, rank=rank, world_size=world_size).batch_sampler
        for rank in range(world_size)
    ]
    first = [i for s in samplers for batch in s for i, _, said in batch if said]
    assert sorted(first) == list(range(size))
    for sampler in samplers:
        sampler.set_epoch(1)
        assert not any(said for batch in sampler for _, _, said in batch)
