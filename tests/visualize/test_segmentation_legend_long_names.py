"""Long class names are shortened with "..." in the segmentation legend, as in box captions."""

from __future__ import annotations

import numpy as np

from detseg.text_drawing import text_size
from detseg.visualize import draw_segmentation, shorten_text, text_style


def _square_scene() -> tuple[np.ndarray, np.ndarray]:
    """A black ``uint8 [100, 120, 3]`` image and a label map with class 1 in a square."""
    labels = np.zeros((100, 120), np.int64)
    labels[10:50, 10:50] = 1
    return np.zeros((100, 120, 3), np.uint8), labels


def test_a_long_name_does_not_widen_the_legend_past_the_image() -> None:
    image, labels = _square_scene()
    short = draw_segmentation(image, labels, ["cat"])
    long = draw_segmentation(image, labels, ["x" * 500])
    assert long.shape[0] == short.shape[0]
    assert long.shape[1] - 120 <= 2 * 120  # panel: swatch, padding and at most ~image width
    every = draw_segmentation(image, labels, ["y", "x" * 500], legend="all")
    assert every.shape[1] == long.shape[1]
    assert (every[:, 120:] == 150).all(axis=2).any()  # the absent long name is still grey


def test_shortened_names_end_in_an_ellipsis_and_fit() -> None:
    scale, stroke = text_style((100, 120, 3))
    assert shorten_text("cat", "", scale, stroke, 500) == "cat"
    text = shorten_text("x" * 500, "", scale, stroke, 120)
    assert text.endswith("...") and text.startswith("x")
    assert text_size(text, scale, stroke)[0][0] <= 120
