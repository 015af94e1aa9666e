"""A confusion matrix drawn as a row-normalised heatmap (``matplotlib.figure.Figure``, Agg).

Rows are ground-truth classes and columns predicted classes, as in
:class:`~detseg.evaluation.segmentation.ConfusionMatrix`. Each cell's colour and text are its
share of the row (of the class's ground-truth pixels), so a rare class reads as clearly as a
frequent one; the diagonal is each class's recall. The cells of a class without ground truth (an
empty row) read ``-`` instead of shares, explained by :data:`EMPTY_ROW_NOTE` under the plot.
Class names and titles are drawn as written (:func:`plain_text`: no mathtext), ``$`` included.
"""

from __future__ import annotations

import contextlib
import functools
import os
import textwrap
from collections.abc import Iterator, Sequence
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.layout_engine import TightLayoutEngine

__all__ = [
    "confusion_figure",
    "row_normalized",
    "save_confusion_matrix",
    "plain_text",
    "short_label",
    "tight_layout_once",
    "wrap_title",
]

#: The note under a matrix whose cells show ``-`` for a class without ground truth.
EMPTY_ROW_NOTE = "-: no ground truth of this class (no share to show)"

#: Above this many classes the cells carry no text (it would not fit).
MAX_ANNOTATED_CLASSES = 30


@contextlib.contextmanager
def plain_text() -> Iterator[None]:
    """Matplotlib settings under which every text is drawn as written, also as a decorator
    (``@plain_text()``): a class name with ``$`` (or a title holding one) is shown as typed, not
    parsed as mathtext (``$x^2$`` drawn as x squared, ``$\\bad{$`` raising
    ``ParseFatalException``). Figures are built and saved under it: tick labels are made while
    drawing."""
    with matplotlib.rc_context({"text.parse_math": False}):
        yield


def row_normalized(matrix: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    """Each row of ``matrix`` divided by its sum: ``Float64[C, C]``, an empty row stays 0.

    Args:
        matrix: ``[C, C]`` counts, rows ground truth, columns predicted.

    Raises:
        ValueError: ``matrix`` is not square 2-D.
    """
    counts = np.asarray(matrix, dtype=np.float64)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1]:
        raise ValueError(f"a confusion matrix is square [C, C], got shape {counts.shape}")
    sums = counts.sum(axis=1, keepdims=True)
    return np.divide(counts, sums, out=np.zeros_like(counts), where=sums > 0)


#: Longest class name shown whole on a figure's axes and legends (:func:`short_label`).
MAX_LABEL_CHARS = 32


def short_label(name: str, limit: int = MAX_LABEL_CHARS) -> str:
    """``name`` as a figure shows it: whole up to ``limit`` characters, else its start and its
    last 8 characters around an ellipsis (names that differ only at the end stay apart), so
    that one very long class name does not push the plot out of its figure."""
    if len(name) <= limit:
        return name
    tail = 8
    return name[: limit - tail - 1] + "\u2026" + name[-tail:]


def wrap_title(title: str, width: int) -> str:
    """``title`` in as few lines of at most ``width`` characters as it needs, of about equal
    length (no last line holding a lone word, as a plain ``textwrap.fill`` leaves)."""
    lines = textwrap.wrap(title, width=width)
    if len(lines) <= 1:
        return title
    balanced = width
    # the narrowest width that needs no more lines (a long word may make it wider)
    for narrower in range(len(title) // len(lines), width + 1):
        if len(textwrap.wrap(title, width=narrower)) == len(lines):
            balanced = narrower
            break
    return textwrap.fill(title, width=balanced)


@plain_text()
def confusion_figure(
    matrix: np.ndarray | Sequence[Sequence[float]], class_names: Sequence[str], title: str = ""
) -> Figure:
    """The heatmap of :func:`row_normalized` ``(matrix)``, class names on both axes.

    Args:
        matrix: ``[C, C]`` counts (rows ground truth, columns predicted).
        class_names: the ``C`` names, in the matrix's order.
        title: figure title; empty: one naming the axes.

    Raises:
        ValueError: a matrix that is not ``[C, C]`` for the ``C`` names.
    """
    shares = row_normalized(matrix)
    n = len(class_names)
    if shares.shape != (n, n):
        raise ValueError(f"matrix has shape {shares.shape}, expected ({n}, {n}) for the names")
    side = min(24.0, 2.5 + 0.55 * n)
    fig = Figure(figsize=(side, side * 0.9), dpi=100)
    ax = fig.add_subplot()
    image = ax.imshow(shares, cmap="Blues", vmin=0.0, vmax=1.0)
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04, label="share of the row")
    labels = [short_label(name) for name in class_names]
    empty = np.asarray(matrix, dtype=np.float64).sum(axis=1) == 0
    ax.set_xticks(range(n), labels=labels, rotation=45, ha="right")
    ax.set_yticks(range(n), labels=labels)
    ax.set_xlabel("predicted")
    ax.set_ylabel("ground truth")
    title = title or "Confusion matrix, normalised per row"
    # on the figure, not the axes: long class names narrow the axes, a title over them is cut
    fig.suptitle(wrap_title(title, max(30, int(side * 9))), fontsize=10)
    if n <= MAX_ANNOTATED_CLASSES:
        for (i, j), share in np.ndenumerate(shares):
            if empty[i]:  # no ground truth: a share of nothing, not 0.00
                ax.text(j, i, "-", ha="center", va="center", color="gray", fontsize=7)
                continue
            color = "white" if share > 0.5 else "black"
            ax.text(j, i, f"{share:.2f}", ha="center", va="center", color=color, fontsize=7)
        if empty.any():
            fig.text(0.01, 0.01, EMPTY_ROW_NOTE, fontsize=8, color="gray", ha="left", va="bottom")
    tight_layout_once(fig)
    return fig


@plain_text()
def save_confusion_matrix(
    matrix: np.ndarray | Sequence[Sequence[float]],
    class_names: Sequence[str],
    path: str | os.PathLike,
    title: str = "",
) -> Path:
    """Write :func:`confusion_figure` as a PNG (folders are created); returns ``path``.

    Raises:
        ValueError: as :func:`confusion_figure`.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    confusion_figure(matrix, class_names, title).savefig(path, format="png")
    return path


def tight_layout_once(
    fig: Figure, rect: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
) -> None:
    """The subplot spacing of ``fig.tight_layout(rect=rect)``, each axes measured once, and
    no layout engine left on ``fig``.

    Given a ``rect``, matplotlib measures the extent (tick labels, axis labels, title) of every
    axes twice, both times at the same place (the axes move only once the layout is set);
    measuring lays out every tick label, most of the time of a figure of many panels. The
    first measurement of each axes is kept for the second pass, so the layout is the same.
    ``fig.tight_layout`` also leaves a placeholder layout engine on the figure, for which
    ``savefig`` draws the whole figure once more before drawing it into the file: the engine
    is run here without being set.
    """
    for ax in fig.axes:
        vars(ax)["get_tightbbox"] = functools.lru_cache(maxsize=None)(ax.get_tightbbox)
    try:
        TightLayoutEngine(rect=rect).execute(fig)
    finally:
        for ax in fig.axes:  # measured afresh when drawn, at the new place
            vars(ax).pop("get_tightbbox", None)
