"""The detection confusion plot of a large vocabulary (LVIS: 1,000+ classes) draws the classes
with the most errors and sums the others in one "other" row and column, with a note saying so:
a row and a column per class took half a minute to draw, in cells of 2 px under labels that
overlapped into a black band."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.evaluation.detection_confusion import (
    detection_confusion_figure,
    most_confused_classes,
)


def _names(num_classes: int) -> list[str]:
    return [f"c{k}" for k in range(num_classes)] + ["background"]


def _reference(matrix: np.ndarray, kept: list[int]) -> np.ndarray:
    """The reduced matrix summed cell by cell: kept classes, "other", background."""
    num_classes = len(matrix) - 1
    group = {k: i for i, k in enumerate(kept)} | {num_classes: len(kept) + 1}
    out = np.zeros((len(kept) + 2, len(kept) + 2), dtype=np.int64)
    for i in range(num_classes + 1):
        for j in range(num_classes + 1):
            out[group.get(i, len(kept)), group.get(j, len(kept))] += matrix[i, j]
    return out


def test_hand_computed_reduction() -> None:
    matrix = np.array(
        [
            # c0 c1 c2 c3 bg  (predicted)
            [5, 0, 0, 0, 1],  # gt c0: no confusion, one missed
            [0, 2, 3, 0, 0],  # gt c1: 3 taken for c2
            [0, 1, 4, 0, 0],  # gt c2: 1 taken for c1
            [1, 0, 0, 7, 2],  # gt c3: 1 taken for c0, 2 missed
            [4, 0, 0, 1, 0],  # background: false positives
        ]
    )
    plotted = most_confused_classes(matrix, _names(4), limit=2)
    # wrong-class matches: c0 1, c1 4, c2 4, c3 1 -> c1 and c2, in class order
    assert plotted.class_names == ["c1", "c2", "other 2 classes", "background"]
    expected = np.array(
        [
            [2, 3, 0, 0],
            [1, 4, 0, 0],
            [0, 0, 13, 3],  # c0 and c3: 5 + 7 true positives and 1 confusion
            [0, 0, 5, 0],
        ]
    )
    np.testing.assert_array_equal(plotted.matrix, expected)
    assert "The 2 of 4 classes" in plotted.note
    assert "'other 2 classes' sums the rest" in plotted.note
    # a tie in wrong-class matches: more errors first (c0: 1 + 1 missed + 4 FP; c3: 1 + 2 + 1)
    assert most_confused_classes(matrix, _names(4), limit=3).class_names[:3] == ["c0", "c1", "c2"]


def test_random_reduction_keeps_every_count() -> None:
    rng = np.random.default_rng(0)
    matrix = rng.integers(0, 4, (301, 301)) * (rng.random((301, 301)) < 0.05)
    matrix[np.diag_indices(301)] += rng.integers(0, 30, 301)
    matrix[-1, -1] = 0
    plotted = most_confused_classes(matrix, _names(300), limit=10)
    kept = [int(name[1:]) for name in plotted.class_names[:10]]
    np.testing.assert_array_equal(plotted.matrix, _reference(matrix, kept))
    between = matrix[:300, :300]
    confusions = between.sum(0) + between.sum(1) - 2 * np.diagonal(between)
    assert confusions[kept].min() >= np.delete(confusions, kept).max()
    assert plotted.matrix.sum() == matrix.sum()


def test_few_classes_are_drawn_whole() -> None:
    matrix = np.arange(16).reshape(4, 4)
    plotted = most_confused_classes(matrix, _names(3), limit=3)
    assert plotted.class_names == _names(3) and plotted.note == ""
    np.testing.assert_array_equal(plotted.matrix, matrix)
    with pytest.raises(ValueError, match="expected \\(3, 3\\)"):
        most_confused_classes(matrix, _names(2))


def test_figure_of_many_classes_names_the_shown_ones_and_says_so() -> None:
    rng = np.random.default_rng(1)
    matrix = rng.integers(0, 3, (1001, 1001))
    matrix[-1, -1] = 0
    fig = detection_confusion_figure(matrix, _names(1000), max_classes=4)
    (ax,) = [a for a in fig.axes if a.get_xlabel()]
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 6 and labels[-2:] == ["other 996 classes", "background"]
    notes = " ".join(t.get_text() for t in fig.texts).replace("\n", " ")
    assert "The 4 of 1000 classes with the most wrong-class matches" in notes
    cells = [t for t in ax.texts if t.get_text().isdigit()]
    assert len(cells) == 6 * 6 - 1
