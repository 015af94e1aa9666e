"""``WORK_DIR/curves.png``: training and validation loss, and the validation metric, against
iterations, drawn from ``metrics.jsonl`` after training.

A resumed run may log some iterations twice (those after the checkpoint it resumed from): the
records of the interrupted run past the iteration a ``setup`` record resumes from are left out
(the resumed run trained those steps again), and the last record of each iteration wins.
A non-finite loss (logged as the text ``"nan"``) is marked where it happened.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from detseg.engine.records.metric_log import read_metrics

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def _iteration(record: dict[str, Any]) -> int | None:
    """The record's ``iteration``, ``None`` when it has none (or not a number)."""
    value = record.get("iteration")
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return int(value)


def _current(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` without those a later ``setup`` record supersedes: the ones past the
    iteration it (re)starts from, which the run trained again after resuming."""
    kept: list[dict[str, Any]] = []
    for record in records:
        start = _iteration(record) if record.get("type") == "setup" else None
        if start is not None:
            kept = [r for r in kept if (_iteration(r) or 0) <= start]
        kept.append(record)
    return kept


def _number(value: Any) -> float | None:
    """A logged number as a float (non-finite ones are logged as text: ``"nan"``, ``"inf"``);
    ``None`` for anything else."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str) and value.strip().lower() in ("nan", "inf", "-inf", "+inf"):
        return float(value)
    return None


def _series(records: list[dict[str, Any]], kind: str, key: str) -> tuple[list[int], list[float]]:
    """``(iterations, values)`` of ``key`` in the records of type ``kind``, one per iteration;
    a value may be non-finite."""
    by_iteration: dict[int, float] = {}
    for record in records:
        value, step = _number(record.get(key)), _iteration(record)
        if record.get("type") == kind and value is not None and step is not None:
            by_iteration[step] = value
    steps = sorted(by_iteration)
    return steps, [by_iteration[s] for s in steps]


def _finite(steps: list[int], values: list[float]) -> tuple[list[int], list[float]]:
    pairs = [(s, v) for s, v in zip(steps, values, strict=True) if math.isfinite(v)]
    return [s for s, _ in pairs], [v for _, v in pairs]


def _mark_non_finite(ax: Any, steps: list[int], label: str) -> None:
    """Red dashed lines across ``ax`` at the ``steps`` whose value was not finite."""
    if steps:
        ax.vlines(
            steps,
            0,
            1,
            transform=ax.get_xaxis_transform(),
            colors="red",
            linestyles=":",
            label=label,
        )


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
    records = _current(records)
    non_finite: set[int] = set()
    for kind, label, style in series:
        all_steps, all_values = _series(records, kind, "loss")
        pairs = zip(all_steps, all_values, strict=True)
        non_finite.update(s for s, v in pairs if not math.isfinite(v))
        steps, values = _finite(all_steps, all_values)
        if steps:
            loss_ax.plot(steps, values, label=label, **style)
    _mark_non_finite(loss_ax, sorted(non_finite), "non-finite loss")
    loss_ax.set(xlabel="iteration", ylabel="loss", title="loss")
    highest = 0.0
    name = score_key
    scores = []
    if score_key == "AP" and _series(records, "val", "segm_AP")[0]:  # a model with masks
        name = "box AP"
        scores = [("val", "segm_AP", "mask AP"), ("val_ema", "segm_AP", "mask AP (EMA)")]
    scores = [("val", score_key, name), ("val_ema", score_key, f"{name} (EMA)"), *scores]
    for kind, key, label in scores:
        steps, values = _finite(*_series(records, kind, key))
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
