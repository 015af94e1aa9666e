"""The PR plots: curves end at the highest recall reached (COCOeval's zeros past it are not
drawn along the x axis), and the per-class grid has no legend over its curves."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.evaluation.pr_curves import (
    MAX_LEGEND_CLASSES,
    PRCurves,
    pr_curve_figure,
    pr_per_class_figure,
)


def _weak_curves() -> PRCurves:
    """Three classes of a weak detector: low precision, recall at most 0.5 / 0.3, and one
    class (c) that no detection matches at IoU 0.75."""
    recall = np.linspace(0.0, 1.0, 101)
    iou = np.linspace(0.5, 0.95, 10)
    precision = np.zeros((len(iou), len(recall), 3))
    precision[:, :51, 0] = np.linspace(0.3, 0.05, 51)  # a: recall up to 0.5
    precision[:, :31, 1] = 0.15  # b: recall up to 0.3
    precision[0, :21, 2] = 0.1  # c: recall up to 0.2 at IoU 0.5 only
    return PRCurves(recall, precision, iou, ["a", "b", "c"])


def test_curves_end_where_their_recall_does() -> None:
    figure = pr_curve_figure(_weak_curves(), 0.5)
    (ax,) = figure.axes
    ends = {
        str(line.get_label()).split(" (")[0]: np.asarray(line.get_xdata())[-1]
        for line in ax.get_lines()
    }
    assert ends["a"] == pytest.approx(0.51)  # the drop to 0 right after recall 0.5
    assert ends["b"] == pytest.approx(0.31)
    assert ends["mean over classes"] == pytest.approx(0.51)
    for line in ax.get_lines():  # no run of zeros along the x axis
        assert (np.asarray(line.get_ydata())[:-1] > 0).all()
    assert list(ax.texts) == []  # a mean curve was drawn: no "no true positive" note


def test_overall_figure_without_any_match_says_so() -> None:
    curves = _weak_curves()
    curves.precision[:] = 0.0  # ground truth of every class, nothing found
    (ax,) = pr_curve_figure(curves, 0.5).axes
    assert [t.get_text() for t in ax.texts] == ["no true positive"]


def test_per_class_grid_keeps_its_legend_off_the_curves() -> None:
    figure = pr_per_class_figure(_weak_curves(), (0.5, 0.75))
    figure.canvas.draw()
    panels = figure.axes
    assert len(panels) == 3
    assert all(ax.get_legend() is None for ax in panels)  # none inside a panel
    (legend,) = figure.legends
    assert [t.get_text() for t in legend.get_texts()] == ["IoU 0.50", "IoU 0.75"]
    box = legend.get_window_extent()
    for ax in panels:
        assert not box.overlaps(ax.get_window_extent())
    assert box.y1 <= figure.bbox.y1 + 1  # not cut off at the top
    # each panel names its APs in the title; a class without a match says so
    assert panels[0].get_title() == "a\nAP50 0.09  AP75 0.09"
    texts = [t.get_text() for t in panels[2].texts]
    assert panels[2].get_title() == "c\nAP50 0.02  AP75 0.00" and texts == []
    c_lines = panels[2].get_lines()
    assert np.asarray(c_lines[0].get_xdata()).size == 22
    assert np.asarray(c_lines[1].get_xdata()).size == 0


def test_per_class_panel_without_any_match_says_so() -> None:
    curves = _weak_curves()
    curves.precision[:, :, 2] = 0.0  # class c: ground truth, but nothing found
    figure = pr_per_class_figure(curves, (0.5,))
    assert [t.get_text() for t in figure.axes[2].texts] == ["no true positive"]


@pytest.mark.parametrize("num_classes", [3, MAX_LEGEND_CLASSES + 8])
def test_the_recall_axis_is_not_squeezed_by_the_legend(num_classes: int) -> None:
    recall = np.linspace(0.0, 1.0, 101)
    iou = np.linspace(0.5, 0.95, 10)
    precision = np.zeros((len(iou), len(recall), num_classes))
    precision[:, :60] = 0.8
    curves = PRCurves(recall, precision, iou, [f"class{k}" for k in range(num_classes)])
    figure = pr_curve_figure(curves, 0.5)
    figure.canvas.draw()
    (ax,) = figure.axes
    box = ax.get_window_extent()
    assert box.width >= box.height  # recall in [0, 1] gets at least the room precision has
