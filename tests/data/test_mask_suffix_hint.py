"""The ``set data.mask_suffix=...`` hint of a folder dataset whose label maps are named with
another suffix: the suffix that pairs the images, also where one stem starts another
(``a.png``, ``ab.png``), and quick for thousands of files."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from detseg.data.label_map_pairing import pair_by_stem


def _folders(root: Path, images: list[str], masks: list[str]) -> tuple[Path, Path]:
    """``root/images`` and ``root/masks`` holding empty files of these names."""
    image_dir, mask_dir = root / "images", root / "masks"
    for folder, names in ((image_dir, images), (mask_dir, masks)):
        folder.mkdir(parents=True)
        for name in names:
            (folder / name).touch()
    return image_dir, mask_dir


def _hint(image_dir: Path, mask_dir: Path) -> str:
    with pytest.raises(FileNotFoundError) as caught:
        pair_by_stem(image_dir, mask_dir, ".png")
    found = re.search(r"set data\.mask_suffix=(\S+)$", str(caught.value))
    assert found is not None, str(caught.value)
    return found.group(1)


def test_a_stem_that_starts_another_does_not_pick_the_suffix(tmp_path):
    image_dir, mask_dir = _folders(
        tmp_path / "both", ["a.png", "ab.png"], ["a_mask.png", "ab_mask.png"]
    )
    assert _hint(image_dir, mask_dir) == "_mask.png"
    # Only the longer stem has a label map: the shorter one must not claim it ("b_mask.png").
    # The answer does not hang on the order of a set of names: many folders, each named apart.
    for case in range(16):
        stem = f"s{case}x"
        image_dir, mask_dir = _folders(
            tmp_path / str(case), [f"{stem}.png", f"{stem}y.png"], [f"{stem}y_mask.png"]
        )
        assert _hint(image_dir, mask_dir) == "_mask.png", case


def test_thousands_of_files_get_the_hint(tmp_path):
    stems = [f"img{i:05d}" for i in range(4000)]
    image_dir, mask_dir = _folders(
        tmp_path, [f"{s}.jpg" for s in stems], [f"{s}_label.png" for s in stems]
    )
    assert _hint(image_dir, mask_dir) == "_label.png"
