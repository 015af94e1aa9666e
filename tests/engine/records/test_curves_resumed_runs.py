"""Training curves of runs whose metrics.jsonl is unusual: resumed from an earlier checkpoint,
with non-finite losses, or with records lacking an iteration."""

from __future__ import annotations

from typing import Any

from detseg.engine.records.curves import curves_figure


def _lines(records: list[dict[str, Any]]) -> dict[str, tuple[list[float], list[float]]]:
    figure = curves_figure(records, "AP")
    return {
        str(line.get_label()): ([float(x) for x in line.get_xdata()], list(line.get_ydata()))
        for ax in figure.axes
        for line in ax.get_lines()
    }


def test_a_resumed_run_drops_the_steps_it_trained_again() -> None:
    records: list[dict[str, Any]] = [{"type": "setup", "resumed": False, "iteration": 0}]
    records += [
        {"type": "train", "iteration": i, "loss": 2.0 - i / 1000} for i in range(10, 1001, 10)
    ]
    records += [{"type": "val", "iteration": i, "AP": i / 2000} for i in (400, 800, 1000)]
    records += [{"type": "setup", "resumed": True, "iteration": 800}]
    records += [{"type": "train", "iteration": i, "loss": 0.5} for i in (850, 900)]
    lines = _lines(records)
    steps, losses = lines["train loss"]
    assert steps == sorted(steps)
    assert steps[-3:] == [800.0, 850.0, 900.0]  # none of 810..1000 of the interrupted run
    assert losses[-2:] == [0.5, 0.5]
    assert lines["AP"][0] == [400.0, 800.0]  # the val at 1000 belonged to the interrupted run


def test_non_finite_losses_are_marked_where_they_happened() -> None:
    records = [{"type": "train", "iteration": i, "loss": 1.0} for i in (0, 10, 20)]
    records += [{"type": "train", "iteration": i, "loss": "nan"} for i in (30, 40)]
    figure = curves_figure(records, "AP")
    loss_ax = figure.axes[0]
    labels = loss_ax.get_legend_handles_labels()[1]
    assert "non-finite loss" in labels
    marks = [c for c in loss_ax.collections if c.get_label() == "non-finite loss"]
    xs = sorted(float(seg[0][0]) for seg in marks[0].get_segments())
    assert xs == [30.0, 40.0]
    assert loss_ax.get_xlim()[1] >= 40


def test_only_non_finite_losses_are_not_reported_as_no_loss() -> None:
    figure = curves_figure([{"type": "train", "iteration": 5, "loss": "inf"}], "AP")
    texts = [t.get_text() for t in figure.axes[0].texts]
    assert "no loss recorded" not in texts


def test_records_without_an_iteration_are_skipped() -> None:
    records = [
        {"type": "train", "loss": 1.0},
        {"type": "val", "AP": 0.3},
        {"type": "train", "iteration": 10, "loss": 0.5},
    ]
    lines = _lines(records)
    assert lines["train loss"] == ([10.0], [0.5])
