"""The overall PR plot names each class with its AP, in the class colours of the drawings."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.evaluation.pr_curves import MAX_LEGEND_CLASSES, PRCurves, pr_curve_figure
from detseg.visualize import class_colors


def _curves(num_classes: int) -> PRCurves:
    recall = np.linspace(0.0, 1.0, 101)
    iou = np.linspace(0.5, 0.95, 10)
    precision = np.zeros((len(iou), len(recall), num_classes))
    for k in range(num_classes):
        precision[:, : 50 + 5 * k, k] = 1.0 - 0.05 * k  # class k: AP (0.5 + 0.05 k)(1 - 0.05 k)
    if num_classes > 1:
        precision[:, :, -1] = -1.0  # the last class has no ground truth
    names = [f"class{k}" for k in range(num_classes)]
    return PRCurves(recall, precision, iou, names)


def test_a_legend_entry_with_ap_per_class_and_the_mean() -> None:
    curves = _curves(4)
    figure = pr_curve_figure(curves, 0.5)
    (ax,) = figure.axes
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 4  # 3 classes with ground truth + the mean
    for k in range(3):
        ap = curves.per_class(0.5)[:, k].mean()
        assert f"class{k} (AP50 {ap:.3f})" in texts
    assert texts[-1] == f"mean over classes (AP50 = {curves.overall(0.5).mean():.3f})"
    assert not any("class3" in t for t in texts)  # no ground truth: no curve, no entry
    lines = {line.get_label(): line for line in ax.get_lines()}
    for k in range(3):
        ap = curves.per_class(0.5)[:, k].mean()
        color = lines[f"class{k} (AP50 {ap:.3f})"].get_color()
        assert np.allclose(color, np.array(class_colors(4)[k]) / 255)


def test_many_classes_stay_grey_without_legend_entries() -> None:
    figure = pr_curve_figure(_curves(MAX_LEGEND_CLASSES + 3), 0.75)
    (ax,) = figure.axes
    legend = ax.get_legend()
    assert legend is not None
    texts = [t.get_text() for t in legend.get_texts()]
    assert len(texts) == 1 and texts[0].startswith("mean over classes (AP75 = ")


@pytest.mark.parametrize("iou", [0.5, 0.75])
def test_legend_sits_beside_the_axes(iou: float) -> None:
    figure = pr_curve_figure(_curves(3), iou)
    figure.canvas.draw()
    (ax,) = figure.axes
    legend = ax.get_legend()
    assert legend is not None
    legend_box = legend.get_window_extent()
    axes_box = ax.get_window_extent()
    assert legend_box.x0 >= axes_box.x1  # does not hide the curves
    assert legend_box.x1 <= figure.bbox.x1 + 1  # and is not cut off at the figure's edge
