"""The report's histograms as PNG bytes (``matplotlib.figure.Figure``, the Agg renderer).

No pyplot: figures are built and saved without global state, so plotting works in any
process (no display needed). Class names and titles are drawn as written, ``$`` included
(:func:`~detseg.evaluation.confusion_plot.plain_text`: no mathtext).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, LogLocator, MaxNLocator, NullFormatter

from detseg.evaluation.confusion_plot import plain_text

__all__ = ["plot_box_sizes", "plot_class_counts", "plot_pixel_shares"]

_BAR_HEIGHT_IN = 0.22  # inches per class row of a bar chart
_MAX_BAR_ROWS = 90  # classes beyond this are summed into one "other" row


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def _plain_log_ticks(ax: Axes) -> None:
    """Ticks at 1, 2, 5 x 10^k labelled as plain numbers on a log x axis."""
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())


def aspect_ticks(low: float, high: float, max_ticks: int = 7) -> list[float]:
    """Common aspect ratios (1:8 ... 8:1) within ``[low, high]`` for a log x axis, thinned so
    neighbours are at least ``1 / max_ticks`` of the axis' log range apart (their labels do
    not run into each other): 1 first when inside, then outwards from it."""
    ratios = [1, 1.25, 1.5, 2, 3, 4, 6, 8]
    ticks = sorted({1 / r for r in ratios} | set(ratios))
    inside = [t for t in ticks if low <= t <= high]
    if not inside:
        return [1.0]
    gap = np.log10(high / low) / max_ticks if high > low else 0.0
    start = 1.0 if 1.0 in inside else inside[0]
    kept = [start]
    for side in ([t for t in inside if t > start], [t for t in reversed(inside) if t < start]):
        last = start
        for tick in side:
            if abs(np.log10(tick / last)) >= gap:
                kept.append(tick)
                last = tick
    return sorted(kept)


def _aspect_ticks(ax: Axes, low: float, high: float) -> None:
    """:func:`aspect_ticks` on a log x axis, labelled as plain numbers."""
    ticks = aspect_ticks(low, high)
    ax.set_xticks(ticks, [f"{t:.2g}" for t in ticks])
    ax.xaxis.set_minor_formatter(NullFormatter())


def _rows(
    names: Sequence[str], values: Sequence[Sequence[float] | np.ndarray]
) -> tuple[list[str], list[np.ndarray]]:
    """Names and value columns, the rows past :data:`_MAX_BAR_ROWS` summed into ``other``."""
    if len(names) <= _MAX_BAR_ROWS:
        return list(names), [np.asarray(v, dtype=np.float64) for v in values]
    keep = _MAX_BAR_ROWS - 1
    columns = [np.asarray(v, dtype=np.float64) for v in values]
    other = f"other ({len(names) - keep} classes)"
    return [*names[:keep], other], [np.append(c[:keep], c[keep:].sum()) for c in columns]


@plain_text()
def plot_class_counts(
    names: Sequence[str], objects: Sequence[int], images: Sequence[int], title: str
) -> bytes:
    """Horizontal bars of the objects and the images of each class, the legend beside them.

    Args:
        names: Class names (``K``).
        objects: Objects per class (``K``).
        images: Images holding at least one object of the class (``K``).
        title: Figure title.

    Returns:
        The PNG file's bytes.
    """
    labels, (obj, img) = _rows(names, [objects, images])
    rows = max(len(labels), 1)
    fig = Figure(figsize=(6.5, 1.2 + _BAR_HEIGHT_IN * rows * 1.6), dpi=90)
    ax = fig.add_subplot()
    y = np.arange(rows)
    ax.barh(y - 0.2, obj, height=0.4, label="objects", color="#3b7dd8")
    ax.barh(y + 0.2, img, height=0.4, label="images", color="#f0a030")
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("count")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    # beside the axes: inside, it would cover the end of the longest bars it sits on
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, borderaxespad=0.0)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)


@plain_text()
def plot_box_sizes(sizes: Mapping[str, np.ndarray], title: str) -> bytes:
    """Histograms of box width, height (px, log-spaced bins) and aspect ratio (w / h).

    Args:
        sizes: ``{"width", "height", "aspect"}`` arrays of the same length
            (:func:`detseg.dataset_check.stats.box_sizes`).
        title: Figure title.

    Returns:
        The PNG file's bytes.
    """
    fig = Figure(figsize=(10.5, 3.2), dpi=90)
    fig.suptitle(title)
    axes = fig.subplots(1, 3)
    for ax, key, xlabel in zip(
        axes,
        ("width", "height", "aspect"),
        ("width (px)", "height (px)", "aspect ratio w / h"),
        strict=True,
    ):
        values = np.asarray(sizes[key], dtype=np.float64)
        if values.size:
            low, high = float(values.min()), float(values.max())
            high = max(high, low * 1.01)
            ax.hist(values, bins=np.geomspace(low, high, 31), color="#3b7dd8")
            ax.set_xscale("log")
            if key == "aspect":
                _aspect_ticks(ax, low, high)
            else:
                _plain_log_ticks(ax)
        else:
            ax.text(0.5, 0.5, "no boxes", ha="center", va="center", transform=ax.transAxes)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("boxes")
        ax.grid(alpha=0.3)
    fig.tight_layout()
    return _png(fig)


@plain_text()
def plot_pixel_shares(names: Sequence[str], shares: Sequence[float], title: str) -> bytes:
    """Horizontal bars of each class's share of the labelled pixels (background included).

    Args:
        names: ``["background", *classes]``.
        shares: Fraction of the labelled pixels of each name (sums to 1 over all names).
        title: Figure title.

    Returns:
        The PNG file's bytes.
    """
    labels, (values,) = _rows(names, [shares])
    rows = max(len(labels), 1)
    fig = Figure(figsize=(6.5, 1.2 + _BAR_HEIGHT_IN * rows), dpi=90)
    ax = fig.add_subplot()
    ax.barh(np.arange(rows), values * 100.0, color="#3b7dd8")
    ax.set_yticks(np.arange(rows), labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xscale("symlog", linthresh=0.1)
    ax.set_xlim(0.0, 100.0)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
    ax.set_xlabel("share of labelled pixels (%)")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return _png(fig)
