"""A JPEG label map is refused with one line naming the file: its compression turns the indices
along class borders into neighbouring values, which with many classes are valid labels, so the
range check alone would let the wrong classes through."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.label_maps import read_label_map
from detseg.data.masks import FolderSegmentation

CLASSES = [f"c{k}" for k in range(1, 21)]  # 20 classes: JPEG noise around 5 and 15 stays valid


def label_map() -> np.ndarray:
    mask = np.full((40, 60), 5, np.uint8)
    mask[10:30, 20:45] = 15
    return mask


def test_a_jpeg_label_map_is_refused_naming_the_file(tmp_path):
    path = tmp_path / "a.jpg"
    Image.fromarray(label_map()).save(path, quality=95)
    with pytest.raises(ValueError, match=r"a\.jpg is a JPEG.*store label maps as PNG"):
        read_label_map(path)


def test_a_folder_dataset_of_jpeg_label_maps_stops_at_the_first(tmp_path):
    for sub in ("images", "masks"):
        (tmp_path / sub).mkdir()
    Image.fromarray(np.zeros((40, 60, 3), np.uint8)).save(tmp_path / "images" / "a.png")
    Image.fromarray(label_map()).save(tmp_path / "masks" / "a.jpg", quality=95)
    dataset = FolderSegmentation(
        tmp_path / "images", tmp_path / "masks", CLASSES, mask_suffix=".jpg"
    )
    with pytest.raises(ValueError, match=r"masks/a\.jpg is a JPEG"):
        dataset[0]


def test_a_png_label_map_reads_back_exactly(tmp_path):
    path = tmp_path / "a.png"
    Image.fromarray(label_map()).save(path)
    np.testing.assert_array_equal(read_label_map(path), label_map())
