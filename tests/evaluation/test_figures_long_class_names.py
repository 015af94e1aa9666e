"""Evaluation figures keep their plots and numbers in the picture when a class name is long."""

from __future__ import annotations

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg

from detseg.evaluation.confusion_plot import confusion_figure
from detseg.evaluation.detection_confusion import detection_confusion_figure
from detseg.evaluation.pr_curves import PRCurves, pr_curve_figure, pr_per_class_figure

LONG = "a_very_long_class_name_" + "x" * 60 + "_end"
NAMES = ["person", LONG, "dog"]


def _curves() -> PRCurves:
    recall = np.linspace(0.0, 1.0, 101)
    precision = np.stack([np.clip(1 - recall * (k + 1) / 3, 0, 1) for k in range(3)], 1)
    return PRCurves(recall, precision[None].repeat(10, 0), np.linspace(0.5, 0.95, 10), NAMES)


def test_pr_legend_fits_in_the_figure() -> None:
    figure = pr_curve_figure(_curves(), 0.5)
    figure.canvas.draw()
    legend = figure.axes[0].get_legend()
    texts = [t.get_text() for t in legend.get_texts()]
    assert any(t.startswith("person (AP50") for t in texts)
    assert all(len(t) < 60 for t in texts)
    box = legend.get_window_extent()
    assert box.x1 <= figure.bbox.x1 + 1  # the legend (and the APs in it) is in the picture
    assert figure.axes[0].get_position().width > 0.3


def test_per_class_panel_titles_are_shortened() -> None:
    figure = pr_per_class_figure(_curves())
    titles = [ax.get_title().split("\n")[0] for ax in figure.axes]
    assert titles[0] == "person"
    assert len(titles[1]) <= 24 and titles[1].endswith("_end")


def test_confusion_matrix_tick_labels_are_shortened() -> None:
    for figure in (
        confusion_figure(np.eye(3) * 5 + 1, NAMES),
        detection_confusion_figure(np.eye(3, dtype=int) * 5 + 1, NAMES),
    ):
        labels = [t.get_text() for t in figure.axes[0].get_yticklabels()]
        assert labels[0] == "person"
        assert len(labels[1]) <= 32 and labels[1].endswith("x_end")
        assert "\u2026" in labels[1]


def test_confusion_matrix_titles_stay_in_the_picture() -> None:
    """Long tick labels narrow the axes: a title centred over them ran past the right edge."""
    title = "A custom title naming the run, the checkpoint and the epoch of the model, 12"
    for figure in (
        confusion_figure(np.eye(3) * 5 + 1, NAMES),
        confusion_figure(np.eye(3) * 5 + 1, NAMES, title),
        detection_confusion_figure(np.eye(3, dtype=int) * 5 + 1, NAMES),
    ):
        renderer = FigureCanvasAgg(figure).get_renderer()
        figure.draw(renderer)
        titles = [t for t in [*figure.texts, figure.axes[0].title] if t.get_text()]
        assert titles
        for text in titles:
            box = text.get_window_extent(renderer)
            assert box.x0 >= 0 and box.x1 <= figure.bbox.x1 + 1, text.get_text()
