"""A label map that stops training or evaluation (wrong size, a value above the class count,
colours) names the file and the fix, and points to ``tools/check_data.py``, which lists every
such file of the dataset at once: the run stops at the first one it reads."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from detseg.data.masks import LIST_ALL_HINT, FolderSegmentation


def _dataset(tmp_path, label_map: np.ndarray) -> FolderSegmentation:
    images, masks = tmp_path / "images", tmp_path / "masks"
    images.mkdir()
    masks.mkdir()
    Image.fromarray(np.zeros((4, 6, 3), np.uint8)).save(images / "a.png")
    Image.fromarray(label_map).save(masks / "a.png")
    return FolderSegmentation(images, masks, ["x", "y"])


@pytest.mark.parametrize(
    ("label_map", "problem"),
    [
        (np.zeros((5, 6), np.uint8), "label map is 5x6 (HxW) but its image is 4x6"),
        (np.full((4, 6), 7, np.uint8), "label values [7] are outside 0..2"),
        (np.full((4, 6, 3), (128, 0, 0), np.uint8), "is a colour image (RGB)"),
    ],
)
def test_bad_label_map_error_points_to_the_dataset_check(tmp_path, label_map, problem):
    dataset = _dataset(tmp_path, label_map)
    with pytest.raises(ValueError) as info:
        dataset[0]
    message = str(info.value)
    assert problem in message and str(tmp_path / "masks" / "a.png") in message
    assert message.endswith(f" ({LIST_ALL_HINT})") and "\n" not in message
    assert "tools/check_data.py" in LIST_ALL_HINT


def test_unreadable_label_map_is_still_skipped(tmp_path):
    dataset = _dataset(tmp_path, np.zeros((4, 6), np.uint8))
    (tmp_path / "masks" / "a.png").write_bytes(b"not a png")
    assert dataset[0] is None
