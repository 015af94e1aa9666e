"""Evaluation plots draw class names with ``$`` as written, not as mathtext.

A name such as ``$\\bad{$`` is not valid TeX: parsed as math it makes matplotlib raise
``ParseFatalException`` (wrapped in ``ValueError``) while drawing.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure
from matplotlib.text import Text

from detseg.evaluation.confusion_plot import confusion_figure, save_confusion_matrix
from detseg.evaluation.detection_confusion import detection_confusion_figure, plot_confusion_matrix
from detseg.evaluation.pr_curves import (
    PRCurves,
    plot_pr_curve,
    plot_pr_per_class,
    pr_curve_figure,
    pr_per_class_figure,
)

BAD = "$\\bad{$"
NAMES = ["cat", BAD, "$x^2$"]


def _math_texts(figure: Figure) -> list[str]:
    """The texts of ``figure`` (ticks, legends, titles) that would be parsed as mathtext."""
    texts = figure.findobj(Text)
    return [t.get_text() for t in texts if "$" in t.get_text() and t.get_parse_math()]


def _curves() -> PRCurves:
    """Tiny curves: 3 recall points, ``[T=2, R=3, K=3]`` precision."""
    precision = np.tile(np.array([1.0, 0.5, 0.0])[None, :, None], (2, 1, 3))
    return PRCurves(np.linspace(0.0, 1.0, 3), precision, np.array([0.5, 0.75]), NAMES)


def test_pr_plots_write_names_with_dollars(tmp_path: Path) -> None:
    assert plot_pr_curve(_curves(), 0.5, tmp_path / "pr.png").stat().st_size > 0
    assert plot_pr_per_class(_curves(), tmp_path / "per_class.png").stat().st_size > 0


def test_pr_figures_draw_names_with_dollars() -> None:
    for figure in (pr_curve_figure(_curves(), 0.5), pr_per_class_figure(_curves())):
        figure.canvas.draw()  # drawn outside any caller's rc_context
        assert _math_texts(figure) == []  # "$x^2$" as written, not as x squared
    texts = [t.get_text() for t in pr_curve_figure(_curves(), 0.5).axes[0].get_legend().texts]
    assert any(t.startswith(BAD) for t in texts)


def test_detection_confusion_writes_names_with_dollars(tmp_path: Path) -> None:
    matrix = np.arange(16).reshape(4, 4)
    names = [*NAMES, "background"]
    assert plot_confusion_matrix(matrix, names, tmp_path / "cm.png", BAD).stat().st_size > 0
    figure = detection_confusion_figure(matrix, names, BAD)
    figure.canvas.draw()
    assert _math_texts(figure) == []


def test_segmentation_confusion_writes_names_with_dollars(tmp_path: Path) -> None:
    matrix = np.arange(9).reshape(3, 3)
    assert save_confusion_matrix(matrix, NAMES, tmp_path / "cm.png", BAD).stat().st_size > 0
    figure = confusion_figure(matrix, NAMES, BAD)
    figure.canvas.draw()
    assert _math_texts(figure) == []
