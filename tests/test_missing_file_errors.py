"""A missing image or checkpoint is both detseg's error (a ValueError, one line in the tools)
and a ``FileNotFoundError``, so either ``except`` catches it."""

from __future__ import annotations

import pytest

import detseg
from detseg.data.image_io import ImageReadError, read_image
from detseg.torch_files import CheckpointError


def test_a_missing_image(tmp_path):
    missing = tmp_path / "nope.png"
    with pytest.raises(FileNotFoundError, match="cannot read image .*nope.png") as info:
        read_image(missing)
    assert isinstance(info.value, ImageReadError)


def test_an_unreadable_image_is_not_a_missing_file(tmp_path):
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not an image")
    with pytest.raises(ImageReadError) as info:
        read_image(broken)
    assert not isinstance(info.value, FileNotFoundError)


def test_a_missing_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match="checkpoint not found: .*best.pt") as info:
        detseg.load(tmp_path / "best.pt", device="cpu")
    assert isinstance(info.value, CheckpointError)
