"""Dataset check plots draw class names and titles with ``$`` as written, not as mathtext.

A name such as ``$\\bad{$`` is not valid TeX: parsed as math it makes matplotlib raise
``ParseFatalException`` (wrapped in ``ValueError``) while drawing.
"""

from __future__ import annotations

import numpy as np

from detseg.dataset_check.plots import plot_box_sizes, plot_class_counts, plot_pixel_shares

BAD = "$\\bad{$"
PNG = b"\x89PNG"


def test_class_counts_with_dollar_names() -> None:
    png = plot_class_counts(["cat", BAD, "$x^2$"], [3, 2, 1], [2, 1, 1], BAD)
    assert png.startswith(PNG)


def test_pixel_shares_with_dollar_names() -> None:
    png = plot_pixel_shares(["background", BAD, "$x^2$"], [0.9, 0.09, 0.01], BAD)
    assert png.startswith(PNG)


def test_box_sizes_with_dollar_title() -> None:
    sizes = {"width": np.array([4.0, 40.0]), "height": np.array([8.0, 20.0])}
    sizes["aspect"] = sizes["width"] / sizes["height"]
    assert plot_box_sizes(sizes, BAD).startswith(PNG)
