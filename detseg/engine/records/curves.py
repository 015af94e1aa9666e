"""``WORK_DIR/curves.png``: training and validation loss, and the validation metric, against
iterations, drawn from ``metrics.jsonl`` after training.

A resumed run may log some iterations twice (those after the checkpoint it resumed from); the
last record of each iteration wins.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detseg.engine.records.metric_log import read_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _series(records: list[dict[str, Any]], kind: str, key: str) -> tuple[list[int], list[float]]:
    """``(iterations, values)`` of ``key`` in the records of type ``kind``, one per iteration."""
    by_iteration: dict[int, float] = {}
    for record in records:
        value = record.get(key)
        if record.get("type") != kind or not isinstance(value, int | float):
            continue
        if math.isfinite(value):
            by_iteration[int(record["iteration"])] = float(value)
    steps = sorted(by_iteration)
    return steps, [by_iteration[s] for s in steps]


def curves_figure(records: list[dict[str, Any]], score_key: str) -> Figure:
    """The loss curves (left) and the validation ``score_key`` (right) of ``metrics.jsonl``
    records.

    The train loss is drawn from the ``train`` records (one per ``train.log_every``
    iterations) and, as points, from the ``epoch`` records (each epoch's mean), so a run
    shorter than ``log_every`` still has its loss curve; a panel with nothing to draw says so.

    Both panels share the iteration axis. A Mask R-CNN run's mask AP (``segm_AP``) is drawn
    beside its box AP.

    Args:
        records: the records of :func:`detseg.engine.records.metric_log.read_metrics`.
        score_key: validation metric to plot (``AP`` or ``mIoU``); ``val_ema`` records are
            drawn too when the run has them.
    """
    from matplotlib.figure import Figure  # no pyplot: no global state, no display backend
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(11, 4), dpi=80)
    loss_ax, score_ax = figure.subplots(1, 2, sharex=True)
    series: tuple[tuple[str, str, dict[str, str]], ...] = (
        ("train", "train loss", {}),
        ("epoch", "train loss, epoch mean", {"marker": "s", "linestyle": "--"}),
        ("val", "val loss", {"marker": "o"}),
    )
    for kind, label, style in series:
        steps, values = _series(records, kind, "loss")
        if steps:
            loss_ax.plot(steps, values, label=label, **style)
    loss_ax.set(xlabel="iteration", ylabel="loss", title="loss")
    highest = 0.0
    name = score_key
    scores = []
    if score_key == "AP" and _series(records, "val", "segm_AP")[0]:  # a model with masks
        name = "box AP"
        scores = [("val", "segm_AP", "mask AP"), ("val_ema", "segm_AP", "mask AP (EMA)")]
    scores = [("val", score_key, name), ("val_ema", score_key, f"{name} (EMA)"), *scores]
    for kind, key, label in scores:
        steps, values = _series(records, kind, key)
        if steps:
            score_ax.plot(steps, values, marker="o", label=label)
            highest = max(highest, *values)
    score_ax.set(xlabel="iteration", ylabel=score_key, title=f"validation {score_key}")
    # AP and mIoU lie in [0, 1]: the axis starts at 0 (1 on top while every score is 0), and
    # tiny early scores get plain tick labels, not an offset such as "1e-6"
    score_ax.set_ylim(0.0, 1.0 if highest <= 0 else min(1.0, highest * 1.1))
    score_ax.ticklabel_format(axis="y", useOffset=False)
    for ax, missing in ((loss_ax, "no loss recorded"), (score_ax, f"no validation {score_key}")):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # iterations are whole numbers
        low, high = ax.get_xlim()
        if high - low < 2:  # a single iteration: a range wide enough for whole-number ticks
            middle = round((low + high) / 2)
            ax.set_xlim(middle - 1, middle + 1)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend()
        else:
            ax.text(0.5, 0.5, missing, ha="center", va="center", transform=ax.transAxes)
    figure.subplots_adjust(left=0.07, right=0.98, bottom=0.13, top=0.9, wspace=0.22)
    return figure


def plot_curves(metrics_path: str | Path, out_path: str | Path, score_key: str) -> Path:
    """Draw :func:`curves_figure` of the run's ``metrics.jsonl`` into a PNG.

    Args:
        metrics_path: the run's ``metrics.jsonl``.
        out_path: the PNG to write.
        score_key: validation metric to plot (``AP`` or ``mIoU``).

    Returns:
        ``out_path``.
    """
    out_path = Path(out_path)
    curves_figure(read_metrics(metrics_path), score_key).savefig(out_path)
    return out_path
