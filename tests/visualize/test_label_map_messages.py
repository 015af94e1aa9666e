"""``save_label_map`` refuses a file name, a shape or labels it cannot write in one line that
starts ``cannot write label map <path>:``; a file name of another format says it is not one of
the label-map formats and names them (not that it is lossy: ``.ppm`` and ``.webp`` can be
lossless, but are not read back as the indices)."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize.saving import save_label_map

FORMATS = ".bmp, .pgm, .png, .pnm, .tif, .tiff"


@pytest.mark.parametrize("suffix", [".jpg", ".ppm", ".webp", ".JPEG"])
def test_another_format_is_not_one_of_the_label_map_formats(tmp_path, suffix):
    path = tmp_path / f"mask{suffix}"
    with pytest.raises(ValueError) as caught:
        save_label_map(path, np.zeros((4, 6), np.uint8))
    assert str(caught.value) == (
        f"cannot write label map {path}: {suffix} is not one of the label-map formats "
        f"({FORMATS}), whose 8-bit indices are read back unchanged (a lossy format such as "
        ".jpg would change them); end the file name in .png"
    )
    assert list(tmp_path.iterdir()) == []


def test_a_map_that_is_not_two_dimensional_names_the_file(tmp_path):
    path = tmp_path / "mask.png"
    with pytest.raises(ValueError) as caught:
        save_label_map(path, np.zeros((2, 4, 6), np.uint8))
    assert str(caught.value) == (
        f"cannot write label map {path}: expected a label map [H, W], got shape (2, 4, 6)"
    )
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(("low", "high"), [(-1, 3), (0, 256)])
def test_labels_out_of_range_name_the_file(tmp_path, low, high):
    path = tmp_path / "mask.png"
    labels = np.array([[low, 1], [2, high]], np.int64)
    with pytest.raises(ValueError) as caught:
        save_label_map(path, labels)
    assert str(caught.value) == (
        f"cannot write label map {path}: labels must lie in 0..255 (8-bit class indices), "
        f"got {low}..{high}"
    )
    assert list(tmp_path.iterdir()) == []
