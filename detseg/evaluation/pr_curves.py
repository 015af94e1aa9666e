"""Precision-recall curves taken from the COCO evaluation itself.

pycocotools and faster-coco-eval both accumulate an interpolated precision
array ``precision[T, R, K, A, M]`` (IoU threshold x recall threshold x class x
area range x maxDets) over the 101 recall thresholds ``0:0.01:1``; COCO AP is
its mean. The curves drawn here are slices of that very array, so the area
under the IoU=0.5 overall curve is the reported AP50, not a re-computation.

Plots are drawn on ``matplotlib.figure.Figure`` objects (the Agg renderer),
never through ``pyplot``: no window opens and no global backend is changed.
Class names are drawn as written (:func:`~detseg.evaluation.confusion_plot.plain_text`: no
mathtext), ``$`` included.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from detseg.evaluation.coco import run_coco_evaluation
from detseg.evaluation.coco_per_class import category_names
from detseg.evaluation.confusion_plot import plain_text, short_label, tight_layout_once
from detseg.visualize import class_colors

logger = logging.getLogger(__name__)

_AREA_ALL = 0  # index of the "all" area range on the A axis


@dataclass
class PRCurves:
    """Interpolated precision at each recall threshold, area "all", largest maxDets.

    Attributes:
        recall: ``Float64[R]``, the recall thresholds (``0, 0.01, ..., 1``).
        precision: ``Float64[T, R, K]``; ``-1`` for a class without ground truth,
            ``0`` past the highest recall a class reaches (as COCOeval stores it).
        iou_thresholds: ``Float64[T]`` (``0.5, 0.55, ..., 0.95``).
        class_names: the K class names, in the order of the K axis (category id order).
    """

    recall: np.ndarray
    precision: np.ndarray
    iou_thresholds: np.ndarray
    class_names: list[str]

    def per_class(self, iou: float) -> np.ndarray:
        """``Float64[R, K]`` precision at IoU threshold ``iou`` (-1: class without gt).

        Raises:
            ValueError: ``iou`` is not one of ``iou_thresholds``.
        """
        return self.precision[self._iou_index(iou)]

    def overall(self, iou: float) -> np.ndarray:
        """``Float64[R]`` mean precision over the classes that have ground truth.

        Its mean over R is the COCO ``AP50`` (``iou=0.5``) or ``AP75``; all ``nan``
        when no class has ground truth.

        Raises:
            ValueError: ``iou`` is not one of ``iou_thresholds``.
        """
        values = self.per_class(iou)
        valid = values[0] > -1  # a class without gt is -1 at every recall
        if not valid.any():
            return np.full(len(self.recall), np.nan)
        return values[:, valid].mean(axis=1)

    def _iou_index(self, iou: float) -> int:
        """Index on the T axis of ``iou`` (``np.isclose``); ``ValueError`` if not evaluated."""
        matches = np.flatnonzero(np.isclose(self.iou_thresholds, iou))
        if matches.size == 0:
            raise ValueError(
                f"IoU threshold {iou} was not evaluated; choose one of "
                f"{[round(float(t), 2) for t in self.iou_thresholds]}"
            )
        return int(matches[0])


def pr_curves_from_eval(eval_arrays: dict, cat_ids: Sequence[int], gt: dict) -> PRCurves:
    """Slices a COCOeval's accumulated ``eval`` dict into :class:`PRCurves`.

    Args:
        eval_arrays: ``COCOeval.eval`` after ``accumulate()`` (``precision``
            ``[T, R, K, A, M]`` and ``params`` with ``iouThrs``, ``recThrs``).
        cat_ids: the evaluated category ids, in the order of the K axis.
        gt: the COCO ground-truth dict (for the category names).

    Returns:
        The curves at area "all" and the last (largest) ``maxDets``.
    """
    params = eval_arrays["params"]
    precision = np.asarray(eval_arrays["precision"], dtype=np.float64)
    names = category_names(gt, cat_ids)
    return PRCurves(
        recall=np.asarray(params.recThrs, dtype=np.float64),
        precision=precision[:, :, :, _AREA_ALL, -1],
        iou_thresholds=np.asarray(params.iouThrs, dtype=np.float64),
        class_names=[names[c] for c in cat_ids],
    )


def evaluate_with_arrays(
    gt: str | os.PathLike | dict,
    detections: Sequence[dict],
    iou_type: str = "bbox",
    backend: str = "faster",
    max_dets: Sequence[int] = (1, 10, 100),
) -> tuple[dict[str, Any], PRCurves]:
    """Runs :func:`~detseg.evaluation.coco_evaluate` and also returns the PR arrays.

    Same arguments, checks and numbers as ``coco_evaluate`` (it goes through the
    same helpers of ``detseg.evaluation.coco``), with one evaluation run.

    Returns:
        ``(metrics, curves)``: ``metrics`` exactly as ``coco_evaluate`` returns
        it (the 12 numbers and ``per_class``); ``curves`` the :class:`PRCurves`.
    """
    metrics, evaluator, gt_dict = run_coco_evaluation(gt, detections, iou_type, backend, max_dets)
    cat_ids = [int(c) for c in evaluator.params.catIds]
    return metrics, pr_curves_from_eval(evaluator.eval, cat_ids, gt_dict)


#: Above this many classes the per-class curves of :func:`pr_curve_figure` are drawn grey,
#: without legend entries (the legend would not fit).
MAX_LEGEND_CLASSES = 12


@plain_text()
def pr_curve_figure(curves: PRCurves, iou: float) -> Figure:
    """The overall PR curve at one IoU threshold, the per-class curves thinner behind it.

    Each curve ends where its recall does (the precision drops to 0 there): COCOeval's
    zeros past the highest recall reached are not drawn along the x axis.

    Up to :data:`MAX_LEGEND_CLASSES` classes each curve has its class colour (that of
    :func:`detseg.visualize.class_colors`, as in the drawn detections) and a legend entry
    with the class's AP at ``iou``, in a legend beside the axes; with more classes the
    per-class curves are grey and only the mean is in the legend.

    Args:
        curves: from :func:`evaluate_with_arrays`.
        iou: an evaluated IoU threshold, e.g. 0.5 or 0.75.

    Raises:
        ValueError: ``iou`` was not evaluated.
    """
    per_class = curves.per_class(iou)
    named = len(curves.class_names) <= MAX_LEGEND_CLASSES
    fig = Figure(figsize=(7.5, 4.5), dpi=100)  # one legend entry is as wide: keep the axes square
    ax = fig.add_subplot()
    colors = class_colors(len(curves.class_names))
    ap_name = f"AP{round(iou * 100)}"
    for k, name in enumerate(curves.class_names):
        if per_class[0, k] <= -1:
            continue
        reached = _reached(per_class[:, k])
        recall, precision = curves.recall[:reached], per_class[:reached, k]
        if named:
            color = tuple(c / 255 for c in colors[k])
            label = f"{short_label(name)} ({ap_name} {per_class[:, k].mean():.3f})"
            ax.plot(recall, precision, color=color, linewidth=1.1, label=label)
        else:
            ax.plot(recall, precision, color="0.75", linewidth=0.8)
    mean = curves.overall(iou)
    if np.isnan(mean).all():
        ax.text(0.5, 0.5, "no ground truth", ha="center", va="center")
    else:
        label = f"mean over classes ({ap_name} = {mean.mean():.3f})"
        reached = _reached(mean)
        ax.plot(
            curves.recall[:reached],
            mean[:reached],
            color="black",
            linewidth=2.4,
            label=label,
            zorder=3,
        )
        if reached == 0:
            ax.text(0.5, 0.5, "no true positive", ha="center", va="center")
    if ax.lines:
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=8, borderaxespad=0.0)
    _style_axes(ax, f"Precision-recall, IoU = {iou:.2f}, area all")
    tight_layout_once(fig)
    return fig


@plain_text()
def plot_pr_curve(curves: PRCurves, iou: float, path: str | os.PathLike) -> Path:
    """Writes :func:`pr_curve_figure` as a PNG (folders are created).

    Args:
        curves: from :func:`evaluate_with_arrays`.
        iou: an evaluated IoU threshold, e.g. 0.5 or 0.75.
        path: the PNG to write (folders are created).

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: ``iou`` was not evaluated.
    """
    return _save(pr_curve_figure(curves, iou), path)


@plain_text()
def plot_pr_per_class(
    curves: PRCurves, path: str | os.PathLike, ious: Sequence[float] = (0.5, 0.75)
) -> Path:
    """Writes :func:`pr_per_class_figure` as a PNG (folders are created).

    Args:
        curves: from :func:`evaluate_with_arrays`.
        path: the PNG to write (folders are created).
        ious: evaluated IoU thresholds to draw in every panel.

    Returns:
        ``path`` as a ``Path``.

    Raises:
        ValueError: one of ``ious`` was not evaluated.
    """
    return _save(pr_per_class_figure(curves, ious), path)


@plain_text()
def pr_per_class_figure(curves: PRCurves, ious: Sequence[float] = (0.5, 0.75)) -> Figure:
    """One small PR plot per class (a grid, up to 5 columns), one line per IoU threshold.

    Each panel's title gives the class's AP at each threshold; the line colours are
    explained once, in a legend above the grid, so nothing covers the curves (a weak class's
    curves run along the bottom left, where a legend inside the panel would sit).

    Args:
        curves: from :func:`evaluate_with_arrays`.
        ious: evaluated IoU thresholds to draw in every panel.

    Raises:
        ValueError: one of ``ious`` was not evaluated.
    """
    num = max(1, len(curves.class_names))
    cols = min(5, num)
    rows = math.ceil(num / cols)
    fig = Figure(figsize=(max(2.6 * cols, 4.0), 2.6 * rows + 0.4), dpi=90)
    colors = [f"C{i}" for i in range(len(ious))]
    for k, name in enumerate(curves.class_names):
        ax = fig.add_subplot(rows, cols, k + 1)
        aps = []
        matched = False  # a curve with a point above 0 was drawn
        for iou, color in zip(ious, colors, strict=True):
            precision = curves.per_class(iou)[:, k]
            if precision[0] > -1:
                reached = _reached(precision)
                matched = matched or reached > 0
                ax.plot(curves.recall[:reached], precision[:reached], color=color, linewidth=1.5)
                aps.append(f"AP{round(iou * 100)} {precision.mean():.2f}")
        if not aps:
            ax.text(0.5, 0.5, "no ground truth", ha="center", va="center", fontsize=8)
        elif not matched:
            ax.text(0.5, 0.5, "no true positive", ha="center", va="center", fontsize=8)
        title = short_label(name, 24)  # a panel is about 24 characters wide
        _style_axes(ax, "\n".join([title, "  ".join(aps)]) if aps else title, fontsize=8)
    if not curves.class_names:
        fig.add_subplot().text(0.5, 0.5, "no categories", ha="center", va="center")
    else:
        handles = [Line2D([], [], color=c, linewidth=1.5) for c in colors]
        labels = [f"IoU {iou:.2f}" for iou in ious]
        fig.legend(handles, labels, loc="upper center", ncol=len(ious), fontsize=8, frameon=False)
    tight_layout_once(fig, rect=(0.0, 0.0, 1.0, 1.0 - 0.3 / fig.get_figheight()))
    return fig


def _reached(precision: np.ndarray) -> int:
    """How many leading recall thresholds of a class's curve to draw: up to its highest
    recall and the drop to 0 after it; COCOeval's zeros past that are left out (they would
    run along the x axis as if precision were 0 there, and hide each other)."""
    positive = np.flatnonzero(precision > 0)
    return 0 if positive.size == 0 else min(len(precision), int(positive[-1]) + 2)


def _style_axes(ax: Any, title: str, fontsize: int = 10) -> None:
    """Unit recall / precision axes with labels, a title and a light grid."""
    ax.set_xlim(0.0, 1.0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("recall", fontsize=fontsize)
    ax.set_ylabel("precision", fontsize=fontsize)
    # y=1.0: the top of the axes, where matplotlib's automatic placement puts a title when no
    # tick label is above the axes; given, it spares that search (a layout of every y tick
    # label) at each measurement and drawing of the axes
    ax.set_title(title, fontsize=fontsize, y=1.0)
    ax.tick_params(labelsize=fontsize - 1)
    ax.grid(True, alpha=0.3)


def _save(fig: Figure, path: str | os.PathLike) -> Path:
    """Write ``fig`` as a PNG at ``path`` (folders are created); returns it as a ``Path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, format="png")
    logger.debug("wrote %s", path)
    return path
