"""The drawing functions take the image forms ``save_rgb`` takes (uint8, float in [0, 1], a
detseg image tensor), and refuse label maps that a cast to integers would change."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.visualize import draw_detections, draw_segmentation, save_label_map

BOXES = np.array([[2.0, 2.0, 20.0, 20.0]])


def _picture() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 256, (24, 32, 3), dtype=np.uint8)


def test_float_and_tensor_images_draw_like_uint8() -> None:
    rgb = _picture()
    want = draw_detections(rgb, BOXES, np.array([1]), np.array([0.9]), ["cat"])
    as_float = rgb.astype(np.float32) / 255
    as_tensor = torch.from_numpy(as_float).permute(2, 0, 1)
    for image in (as_float, as_tensor):
        got = draw_detections(image, BOXES, np.array([1]), np.array([0.9]), ["cat"])
        assert np.array_equal(got, want)
    labels = np.zeros((24, 32), dtype=np.int64)
    labels[4:10, 4:10] = 1
    seg = draw_segmentation(rgb, labels, ["cat"])
    assert np.array_equal(draw_segmentation(as_tensor, labels, ["cat"]), seg)


def test_float_image_outside_unit_range_names_the_conversion() -> None:
    image = _picture().astype(np.float32)  # 0..255 floats
    with pytest.raises(ValueError, match=r"draw_detections: .*\[0, 1\].*divide .* by 255") as err:
        draw_detections(image, BOXES, np.array([1]), None, ["cat"])
    assert "\n" not in str(err.value)


def test_fractional_label_map_is_refused() -> None:
    labels = np.zeros((24, 32), dtype=np.float32)
    labels[3, 3] = 0.7
    with pytest.raises(ValueError, match=r"non-integer value 0.7; give class indices"):
        draw_segmentation(_picture(), labels, ["cat"])
    labels[3, 3] = 1.0  # whole numbers in a float map are class indices
    assert draw_segmentation(_picture(), labels, ["cat"]).shape[0] == 24


def test_fractional_label_map_is_not_saved(tmp_path) -> None:
    labels = np.full((4, 4), 1.5)
    with pytest.raises(ValueError, match="non-integer value 1.5"):
        save_label_map(tmp_path / "labels.png", labels)
    assert not (tmp_path / "labels.png").exists()


def test_negative_label_other_than_ignore_index_is_refused() -> None:
    labels = np.zeros((24, 32), dtype=np.int64)
    labels[0, 0] = -1
    with pytest.raises(ValueError, match=r"negative label -1 and ignore_index is 255"):
        draw_segmentation(_picture(), labels, ["cat"])
    assert draw_segmentation(_picture(), labels, ["cat"], ignore_index=-1).shape[0] == 24
