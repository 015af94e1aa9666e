"""The segmentation drawing of detseg.visualize: class regions outlined in the legend's own
colour, legend text sized with the image."""

from __future__ import annotations

import cv2
import numpy as np

from detseg.visualize import class_colors, draw_segmentation, line_thickness


def _square_scene(side: int) -> tuple[np.ndarray, np.ndarray]:
    image = np.full((side, side, 3), 90, np.uint8)
    labels = np.zeros((side, side), np.int64)
    quarter = side // 4
    labels[quarter : 2 * quarter, quarter : 2 * quarter] = 1
    labels[2 * quarter : 3 * quarter, 2 * quarter : 3 * quarter] = 3
    return image, labels


def test_regions_are_outlined_in_their_legend_colour() -> None:
    image, labels = _square_scene(128)
    out = draw_segmentation(image, labels, ["a", "b", "c"], alpha=0.5)
    for k in (1, 3):
        color = np.array(class_colors(3)[k - 1], np.uint8)
        region = labels == k
        eroded = cv2.erode(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        border = region & ~eroded
        assert (out[:128, :128][border] == color).all()  # the outline: the swatch's colour
        assert not (out[:128, :128][eroded] == color).all(axis=1).any()  # inside: blended
        assert (out[:, 128:] == color).all(axis=2).any()  # the swatch in the legend
    hidden = draw_segmentation(image, labels, ["a", "b", "c"], alpha=0.0)
    assert (hidden[:128, :128] == 90).all()  # alpha 0: the image only, no outlines


def test_the_legend_text_grows_with_the_image() -> None:
    sizes: dict[int, tuple[int, int]] = {}
    for side in (128, 1024):
        image, labels = _square_scene(side)
        out = draw_segmentation(image, labels, ["circle", "square", "triangle"])
        legend = out[:, side:]
        rows = np.flatnonzero((legend.min(axis=2) < 128).any(axis=1))  # swatches and text
        sizes[side] = (legend.shape[1], rows.max() - rows.min())
    assert sizes[1024][0] >= 3 * sizes[128][0]  # a wider panel for wider text
    assert sizes[1024][1] >= 3 * sizes[128][1]  # taller rows
    assert line_thickness((1024, 1024)) > line_thickness((128, 128))
