"""The split named by the unreadable-images stop (``split_files``) for datasets of one's own:
an ``image_path`` giving a ``str``, a dataset without a length, one whose ``image_path``
raises. The message names what it can and never fails in their place."""

from __future__ import annotations

from pathlib import Path

from torch.utils.data import IterableDataset

from detseg.engine.training.unreadable_images import split_files


class _StrPaths:
    def __len__(self) -> int:
        return 2

    def image_path(self, index: int) -> str:
        return f"/data/own/images/{index}.jpg"


class _Stream(IterableDataset):
    def __iter__(self):
        return iter(())

    def image_path(self, index: int) -> Path:
        return Path("/data/stream") / f"{index}.jpg"


class _BrokenPath:
    ann_file = Path("/data/own/ann.json")

    def __len__(self) -> int:
        return 1

    def image_path(self, index: int) -> Path:
        raise KeyError(index)


def test_an_image_path_as_str_names_its_folder():
    assert split_files(_StrPaths()) == f"images in {Path('/data/own/images')}"


def test_a_dataset_without_length_names_nothing():
    assert split_files(_Stream()) == ""


def test_an_image_path_that_raises_leaves_the_folder_out():
    assert split_files(_BrokenPath()) == f"listed in {Path('/data/own/ann.json')}"
