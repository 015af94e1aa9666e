"""An image file name of up to 255 bytes, the file system's limit, is written: the temporary
file it is written to first (``.<stem>.<8 hex>.tmp<suffix>``, renamed to it once whole) keeps
only the first 64 bytes of the stem, so its name is never the one too long."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import save_label_map, save_rgb
from detseg.visualize.whole_files import _temporary_name

GREY = np.full((4, 6), 90, np.uint8)


@pytest.mark.parametrize("stem", ["a" * 250, "\u00e9" * 125, "\U0001f600" * 62])
def test_an_image_of_a_name_near_the_limit_is_written(tmp_path, stem):
    path = tmp_path / f"{stem}.png"
    assert 242 <= len(path.name.encode()) <= 255
    save_rgb(path, GREY)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]
    assert path.stat().st_size > 0


def test_a_label_map_of_a_long_name_is_written(tmp_path):
    path = tmp_path / f"{'m' * 250}.png"
    save_label_map(path, GREY % 3)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


@pytest.mark.parametrize("stem", ["a" * 250, "\u00e9" * 125, "short"])
def test_the_temporary_name_keeps_at_most_64_bytes_of_the_stem(stem):
    name = _temporary_name(stem, ".png")
    kept = name[1 : name.index(".", 1)]
    assert stem.startswith(kept) and len(kept.encode()) == min(64, len(stem.encode()))
    assert name.startswith(".") and name.endswith(".png") and ".tmp.png" in name
