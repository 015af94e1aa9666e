"""The objects / images per class bar chart keeps its legend off the bars."""

from __future__ import annotations

from typing import Any

import pytest
from matplotlib.figure import Figure

from detseg.dataset_check.plots import plot_class_counts


def test_legend_covers_no_bar(monkeypatch: pytest.MonkeyPatch) -> None:
    figures: list[Figure] = []
    original = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> None:
        figures.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    # the last class the largest: its bars reach the lower right corner, where the legend sat
    names = ["circle", "square", "triangle", "star", "hexagon"]
    plot_class_counts(names, [1260, 1291, 1271, 1225, 1386], [927, 955, 930, 922, 1003], "t")
    (figure,) = figures
    (ax,) = figure.axes
    legend = ax.get_legend()
    assert legend is not None
    assert [t.get_text() for t in legend.get_texts()] == ["objects", "images"]
    box = legend.get_window_extent()
    bars = [patch.get_window_extent() for patch in ax.patches]
    assert len(bars) == 10
    assert not any(box.overlaps(bar) for bar in bars)
    assert box.x1 <= figure.bbox.x1 + 1  # and it is not cut off at the figure's edge
