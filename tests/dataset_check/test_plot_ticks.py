"""Histogram axes of the dataset report: aspect-ratio ticks far enough apart that their labels
do not run into each other; pixel shares in plain percentages up to 100."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from matplotlib.image import imread

from detseg.dataset_check.plots import aspect_ticks, plot_pixel_shares


@pytest.mark.parametrize(
    ("low", "high"), [(0.5, 3.0), (0.12, 8.0), (0.3, 0.9), (1.5, 7.0), (0.8, 1.25)]
)
def test_aspect_ticks_are_spread_over_the_axis(low: float, high: float) -> None:
    ticks = aspect_ticks(low, high)
    assert ticks == sorted(ticks) and all(low <= t <= high for t in ticks)
    gaps = np.diff(np.log10(ticks))
    assert (gaps >= np.log10(high / low) / 7 - 1e-9).all()  # at most ~7 ticks' worth apart
    if low <= 1 <= high:
        assert 1.0 in ticks
    assert len(ticks) >= 2


def test_aspect_ticks_of_the_shapes_boxes() -> None:
    assert aspect_ticks(0.5, 3.0) == pytest.approx([0.5, 2 / 3, 1.0, 1.5, 2.0, 3.0])


def test_pixel_shares_are_plain_percentages_up_to_100(monkeypatch: pytest.MonkeyPatch) -> None:
    from matplotlib.figure import Figure

    figures: list[Figure] = []
    original = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    png = plot_pixel_shares(["background", "a", "b"], [0.9, 0.09, 0.01], "shares")
    assert imread(io.BytesIO(png)).shape[2] in (3, 4)
    (ax,) = figures[0].axes
    assert ax.get_xlim() == (0.0, 100.0)
    figures[0].canvas.draw()
    labels = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert labels == ["0", "0.1", "1", "10", "100"]
