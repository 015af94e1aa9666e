"""Written label maps are palette images: the pixel values are the class indices, the palette
shows each class in its drawing colour (a grayscale map of 0..K looks black in a viewer)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from detseg.data.label_maps import read_label_map
from detseg.visualize import class_colors, draw_segmentation, save_label_map


def _labels(num_classes: int = 7) -> np.ndarray:
    """``[12, 18]`` labels: every class ``0..num_classes`` and the ignored ``255``."""
    labels = np.arange(12 * 18).reshape(12, 18) % (num_classes + 1)
    labels[0, :3] = 255
    return labels


@pytest.mark.parametrize("suffix", [".png", ".bmp", ".tif", ".tiff"])
def test_a_label_map_is_written_as_a_palette_image_of_the_indices(tmp_path, suffix):
    labels = _labels()
    path = tmp_path / f"labels{suffix}"
    save_label_map(path, torch.from_numpy(labels))
    with Image.open(path) as image:
        assert image.mode == "P"
        np.testing.assert_array_equal(np.array(image), labels)
        palette = np.asarray(image.getpalette(), dtype=np.uint8).reshape(-1, 3)
    np.testing.assert_array_equal(read_label_map(path), labels)
    colours = class_colors(7)
    assert tuple(palette[0]) == (0, 0, 0) and tuple(palette[255]) == (255, 255, 255)
    for k in range(1, 8):
        assert tuple(palette[k]) == colours[k - 1]


def test_the_palette_colour_of_a_class_is_its_drawn_colour(tmp_path):
    """Blended fully (``alpha=1``), the drawing shows each class pixel in its palette colour."""
    labels = _labels(4)
    save_label_map(tmp_path / "m.png", labels)
    with Image.open(tmp_path / "m.png") as image:
        shown = np.array(image.convert("RGB"))
    grey = np.full((*labels.shape, 3), 128, dtype=np.uint8)
    drawn = draw_segmentation(grey, labels, ["a", "b", "c", "d"], alpha=1.0)
    classes = (labels > 0) & (labels != 255)
    np.testing.assert_array_equal(
        drawn[: labels.shape[0], : labels.shape[1]][classes], shown[classes]
    )
    assert (shown[labels == 0] == 0).all() and (shown[labels == 255] == 255).all()
    from detseg.visualize.saving import label_map_palette

    palette = label_map_palette()
    assert palette.shape == (256, 3) and palette.dtype == np.uint8
    assert [tuple(int(v) for v in c) for c in palette[1:255]] == class_colors(254)


@pytest.mark.parametrize("suffix", [".pgm", ".pnm"])
def test_formats_without_a_palette_keep_grayscale_indices(tmp_path, suffix):
    labels = _labels()
    save_label_map(tmp_path / f"m{suffix}", labels)
    with Image.open(tmp_path / f"m{suffix}") as image:
        assert image.mode == "L"
        np.testing.assert_array_equal(np.array(image), labels)
