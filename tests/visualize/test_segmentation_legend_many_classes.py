"""draw_segmentation with a long class list (150 ADE20K-like classes): the legend is laid out in
columns as tall as the image, so the picture widens instead of growing many times taller than
the image (a 256 x 256 image gave a 2855 px tall picture, mostly black under the image)."""

from __future__ import annotations

import numpy as np

from detseg.visualize import class_colors, draw_segmentation

NAMES = [f"class_{k}" for k in range(150)]


def _pixel_counts(pixels: np.ndarray) -> dict[tuple[int, ...], int]:
    """``{(r, g, b): how many pixels}`` of an ``uint8 [H, W, 3]`` picture."""
    packed = pixels.reshape(-1, 3).astype(np.int64) @ np.array([1 << 16, 1 << 8, 1])
    colors, counts = np.unique(packed, return_counts=True)
    return {
        (int(c) >> 16, (int(c) >> 8) & 255, int(c) & 255): int(n)
        for c, n in zip(colors, counts, strict=True)
    }


def _scene() -> tuple[np.ndarray, np.ndarray]:
    """A grey ``uint8 [256, 256, 3]`` image; classes 3 and 150 each fill a quarter."""
    labels = np.zeros((256, 256), np.int64)
    labels[:128, :128] = 3
    labels[128:, 128:] = 150
    return np.full((256, 256, 3), 90, np.uint8), labels


def test_all_150_classes_fit_beside_a_256_px_image() -> None:
    image, labels = _scene()
    out = draw_segmentation(image, labels, NAMES, legend="all")
    assert out.shape[0] == 256
    counts = _pixel_counts(out[:, 256:])
    for k, color in enumerate(class_colors(150)):  # every swatch is drawn, none cut off
        assert counts.get(tuple(color), 0) >= 25, NAMES[k]
    assert (out[:, :256] == draw_segmentation(image, labels, NAMES)[:, :256]).all()


def test_the_panel_size_depends_on_the_class_list_only() -> None:
    image, labels = _scene()
    empty = draw_segmentation(image, np.zeros_like(labels), NAMES, legend="all")
    assert empty.shape == draw_segmentation(image, labels, NAMES, legend="all").shape


def test_a_thin_image_grows_taller_past_the_column_limit() -> None:
    image = np.full((20, 256, 3), 90, np.uint8)
    out = draw_segmentation(image, np.zeros((20, 256), np.int64), NAMES, legend="all")
    assert 20 < out.shape[0] < 1000 and out.shape[1] < 20 * 256
    counts = _pixel_counts(out[:, 256:])
    assert all(tuple(color) in counts for color in class_colors(150))
