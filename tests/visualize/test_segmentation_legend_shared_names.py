"""legend="all": a present class is drawn in black even when an absent class has its name."""

from __future__ import annotations

import numpy as np

from detseg.visualize import class_colors, draw_segmentation


def _text_rows(panel: np.ndarray) -> list[np.ndarray]:
    """The legend's rows of text: runs of panel rows that hold a non-white pixel."""
    inked = (panel < 250).any(axis=(1, 2))
    rows, start = [], None
    for y, ink in enumerate([*inked, False]):
        if ink and start is None:
            start = y
        elif not ink and start is not None:
            rows.append(panel[start:y])
            start = None
    return rows


def test_present_class_is_black_though_an_absent_one_shares_its_name() -> None:
    image = np.full((96, 96, 3), 90, np.uint8)
    labels = np.zeros((96, 96), np.int64)
    labels[20:40, 20:40] = 1  # "thing" number 1 present, "thing" number 2 absent
    out = draw_segmentation(image, labels, ["thing", "thing"], legend="all")
    swatch = (out[:, 96:] == class_colors(2)[0]).all(axis=2).any(axis=0)
    panel = out[:, 96 + int(np.flatnonzero(swatch).max()) + 2 :]  # the names only
    rows = _text_rows(panel)
    assert len(rows) == 2
    assert int(rows[0].min()) < 60 and int(rows[1].min()) > 100
