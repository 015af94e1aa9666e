"""Image files named by files, folders and globs; read, batched and given unique output names."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from detseg.image_inputs import batched, expand_inputs, output_name, read_images


def _write_png(path: Path, value: int = 0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    assert cv2.imwrite(str(path), np.full((4, 6, 3), value, dtype=np.uint8))
    return path


def test_expand_inputs_keeps_order_and_reports_inputs_matching_nothing(tmp_path):
    folder = tmp_path / "folder"
    b, a = _write_png(folder / "b.png"), _write_png(folder / "a.JPG")
    (folder / "notes.txt").write_text("not an image")
    single = _write_png(tmp_path / "single.png")
    globbed = [_write_png(tmp_path / "glob" / f"{i}.png") for i in (2, 1)]
    inputs = [str(single), str(folder), str(tmp_path / "glob" / "*.png"), "missing/*.png"]
    paths, missing = expand_inputs(inputs)
    assert paths == [single, a, b, globbed[1], globbed[0]]  # folders and globs sorted
    assert missing == ["missing/*.png"]


def test_read_images_skips_unreadable_files(tmp_path):
    good = _write_png(tmp_path / "good.png", 255)
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"\x89PNG not really an image")
    failed: list[str] = []
    read = list(read_images([bad, good], failed))
    assert [path for path, _ in read] == [good] and failed == [str(bad)]
    image = read[0][1]
    assert image.shape == (3, 4, 6) and float(image.min()) == 1.0  # Float[3, H, W] in [0, 1]


def test_batched_keeps_a_short_last_batch():
    assert list(batched(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batched([], 3)) == []


def test_output_names_are_unique_and_keep_image_suffixes():
    used: set[str] = set()
    names = [output_name(Path(p), used) for p in ("a/x.png", "b/x.png", "c/x.JPG", "d/y.gif")]
    assert names == ["x.png", "x_1.png", "x.jpg", "y.png"]
    assert used == set(names)


def test_a_subfolder_named_like_an_image_is_no_image_of_its_folder(tmp_path):
    folder = tmp_path / "folder"
    image = _write_png(folder / "a.png")
    (folder / "2024.jpg").mkdir()  # a folder, however it is named: not searched, not read
    paths, missing = expand_inputs([str(folder)])
    assert paths == [image] and missing == []


def test_a_pattern_inside_a_folder_named_with_brackets_finds_its_images(tmp_path):
    folder = tmp_path / "shots [1]"  # "[1]" in a pattern is a character class matching "1"
    images = [_write_png(folder / name) for name in ("a.png", "b.png")]
    paths, missing = expand_inputs([str(folder / "*.png")])
    assert paths == images and missing == []


def test_a_bracket_class_still_matches_as_a_pattern_where_it_matches(tmp_path):
    image = _write_png(tmp_path / "shots1" / "a.png")
    paths, missing = expand_inputs([str(tmp_path / "shots[0-9]" / "*.png")])
    assert paths == [image] and missing == []
