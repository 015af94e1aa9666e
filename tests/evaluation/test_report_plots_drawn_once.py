"""The report's plots (PR curves, confusion matrices) are laid out as ``Figure.tight_layout``
lays them out, but each panel is measured once and the figure drawn once when saved
(``tight_layout`` leaves a placeholder layout engine for which ``savefig`` draws the whole
figure twice: of 60 PR panels, seconds)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from matplotlib.figure import Figure

from detseg.evaluation import pr_curves
from detseg.evaluation.confusion_plot import save_confusion_matrix
from detseg.evaluation.detection_confusion import plot_confusion_matrix
from detseg.evaluation.pr_curves import (
    PRCurves,
    plot_pr_curve,
    plot_pr_per_class,
    pr_per_class_figure,
)


def _curves(num_classes: int) -> PRCurves:
    """``num_classes`` classes whose precision falls from 1 to 0 at recall 0.3 .. 0.8."""
    recall = np.linspace(0.0, 1.0, 101)
    iou = np.linspace(0.5, 0.95, 10)
    precision = np.zeros((len(iou), len(recall), num_classes))
    for k in range(num_classes):
        reach = 31 + (k * 7) % 50
        precision[:, :reach, k] = np.linspace(1.0, 0.2, reach)
    return PRCurves(recall, precision, iou, [f"class {k}" for k in range(num_classes)])


@pytest.fixture
def draws(monkeypatch) -> list[Figure]:
    """The figures ``Figure.draw`` is called on, one entry per call."""
    calls: list[Figure] = []
    draw = Figure.draw

    def counted(self, renderer):
        calls.append(self)
        return draw(self, renderer)

    monkeypatch.setattr(Figure, "draw", counted)
    return calls


def test_the_per_class_plot_is_drawn_once(tmp_path: Path, draws: list[Figure]) -> None:
    plot_pr_per_class(_curves(7), tmp_path / "pr_per_class.png")
    assert len(draws) == 1
    plot_pr_curve(_curves(3), 0.5, tmp_path / "pr_curve_iou50.png")
    assert len(draws) == 2


def test_the_confusion_matrices_are_drawn_once(tmp_path: Path, draws: list[Figure]) -> None:
    counts = np.arange(16).reshape(4, 4)
    plot_confusion_matrix(counts, ["a", "b", "c", "background"], tmp_path / "detection.png")
    assert len(draws) == 1
    save_confusion_matrix(counts, ["background", "a", "b", "c"], tmp_path / "pixels.png")
    assert len(draws) == 2


def _spacing(figure: Figure) -> tuple[float, ...]:
    params = figure.subplotpars
    return (params.left, params.right, params.bottom, params.top, params.wspace, params.hspace)


def test_the_layout_is_that_of_tight_layout(monkeypatch) -> None:
    figure = pr_per_class_figure(_curves(7))
    assert figure.get_layout_engine() is None
    assert all(ax.title.get_position()[1] == 1.0 for ax in figure.axes)

    def tight_layout(fig: Figure, rect=None) -> None:
        fig.tight_layout(rect=rect)

    monkeypatch.setattr(pr_curves, "tight_layout_once", tight_layout)
    assert _spacing(figure) == _spacing(pr_per_class_figure(_curves(7)))
