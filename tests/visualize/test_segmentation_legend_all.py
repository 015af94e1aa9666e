"""draw_segmentation(legend="all"): every class in the legend, absent ones grey, in a panel of
one size whatever the label map holds (what the frames of a segmenter's video are drawn with)."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.visualize import class_colors, draw_segmentation

NAMES = ["circle", "square", "triangle"]


def _text_rows(panel: np.ndarray) -> list[np.ndarray]:
    """The legend's name column split into its text rows (runs of rows with non-white ink)."""
    ink = (panel.min(axis=2) < 250).any(axis=1)
    rows, start = [], None
    for y, inked in enumerate([*ink, False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            rows.append(panel[start:y])
            start = None
    return rows


def test_every_class_is_listed_and_the_size_never_changes() -> None:
    image = np.full((96, 96, 3), 90, np.uint8)
    one, none = np.zeros((96, 96), np.int64), np.zeros((96, 96), np.int64)
    one[20:40, 20:40] = 2
    with_square = draw_segmentation(image, one, NAMES, legend="all")
    empty = draw_segmentation(image, none, NAMES, legend="all")
    assert with_square.shape == empty.shape and with_square.shape[1] > 96
    for k, color in enumerate(class_colors(3)):  # a swatch of every class, present or not
        assert (empty[:, 96:] == color).all(axis=2).any(), NAMES[k]
    # the names: the present class in black, the absent ones in grey
    swatch_end = 96 + int(
        np.flatnonzero((with_square[:, 96:] == class_colors(3)[0]).all(2).any(0)).max()
    )
    rows = _text_rows(with_square[:, swatch_end + 2 :])
    assert len(rows) == 3
    darkest = [int(row.min()) for row in rows]
    assert darkest[1] < 60 and darkest[0] > 100 and darkest[2] > 100
    assert all(int(row.min()) > 100 for row in _text_rows(empty[:, swatch_end + 2 :]))


def test_present_legend_lists_only_the_classes_in_the_picture() -> None:
    image = np.full((96, 96, 3), 90, np.uint8)
    labels = np.zeros((96, 96), np.int64)
    labels[20:40, 20:40] = 2
    out = draw_segmentation(image, labels, NAMES)
    assert (out[:, 96:] == class_colors(3)[1]).all(axis=2).any()
    assert not (out[:, 96:] == class_colors(3)[0]).all(axis=2).any()
    with pytest.raises(ValueError, match="legend must be"):
        draw_segmentation(image, labels, NAMES, legend="some")
