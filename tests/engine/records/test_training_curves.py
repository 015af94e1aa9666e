"""curves.png: the train loss of a run shorter than train.log_every comes from its epoch
records; a panel with nothing to draw says so."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from detseg.engine.records.curves import curves_figure, plot_curves


def _epoch(iteration: int, loss: float) -> dict:
    return {"type": "epoch", "epoch": iteration // 10 - 1, "iteration": iteration, "loss": loss}


def test_epoch_means_draw_the_loss_of_a_short_run(tmp_path: Path) -> None:
    records = [
        {"type": "setup", "iteration": 0},
        _epoch(10, 2.3),
        {"type": "val", "iteration": 10, "AP": 0.1},
        _epoch(20, 1.5),
        {"type": "val", "iteration": 20, "AP": 0.2},
    ]
    loss_ax, score_ax = curves_figure(records, "AP").axes
    (line,) = loss_ax.get_lines()
    assert np.array_equal(line.get_xdata(), [10, 20])
    assert np.array_equal(line.get_ydata(), [2.3, 1.5])
    assert line.get_label() == "train loss, epoch mean"
    assert [t.get_text() for t in loss_ax.texts] == []  # nothing reads "no loss recorded"
    (score,) = score_ax.get_lines()
    assert np.array_equal(score.get_ydata(), [0.1, 0.2])
    metrics = tmp_path / "metrics.jsonl"
    metrics.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    out = plot_curves(metrics, tmp_path / "curves.png", "AP")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_logged_steps_and_epoch_means_are_both_drawn() -> None:
    records = [
        {"type": "train", "iteration": i, "loss": 3.0 - 0.1 * i} for i in range(1, 21, 5)
    ] + [_epoch(10, 2.5), _epoch(20, 1.8)]
    loss_ax, _ = curves_figure(records, "mIoU").axes
    labels = [line.get_label() for line in loss_ax.get_lines()]
    assert labels == ["train loss", "train loss, epoch mean"]
    legend = loss_ax.get_legend()
    assert legend is not None and [t.get_text() for t in legend.get_texts()] == labels


def test_empty_panels_say_what_is_missing() -> None:
    loss_ax, score_ax = curves_figure([{"type": "setup", "iteration": 0}], "mIoU").axes
    assert not loss_ax.get_lines() and not score_ax.get_lines()
    assert [t.get_text() for t in loss_ax.texts] == ["no loss recorded"]
    assert [t.get_text() for t in score_ax.texts] == ["no validation mIoU"]


def test_the_score_axis_starts_at_zero_with_plain_labels() -> None:
    """Early scores as small as 1e-6 are drawn on an axis from 0, labelled without an offset;
    a run whose every score is 0 gets the whole [0, 1] range."""
    tiny = [{"type": "val", "iteration": 100 * i, "AP": v} for i, v in enumerate([1e-6, 4e-4])]
    score_ax = curves_figure(tiny, "AP").axes[1]
    low, high = score_ax.get_ylim()
    assert low == 0.0 and 4e-4 < high <= 1.0
    formatter = score_ax.yaxis.get_major_formatter()
    assert formatter.get_useOffset() is False
    zero = curves_figure([{"type": "val", "iteration": 5, "AP": 0.0}], "AP").axes[1]
    assert zero.get_ylim() == (0.0, 1.0)


def test_a_single_iteration_gets_whole_number_ticks() -> None:
    figure = curves_figure([{"type": "epoch", "iteration": 3, "loss": 2.4}], "AP")
    figure.canvas.draw()
    ticks = figure.axes[0].get_xticks()
    low, high = figure.axes[0].get_xlim()
    visible = [t for t in ticks if low <= t <= high]
    assert 3 in visible and all(float(t).is_integer() for t in visible)


def test_panels_share_the_iterations_and_mask_ap_is_drawn() -> None:
    records = [
        {"type": "train", "iteration": 0, "loss": 3.0},
        {"type": "train", "iteration": 500, "loss": 1.0},
        {"type": "val", "iteration": 480, "AP": 0.4, "segm_AP": 0.3, "loss": 1.2},
    ]
    loss_ax, score_ax = curves_figure(records, "AP").axes
    assert loss_ax.get_xlim() == score_ax.get_xlim()  # one iteration axis for both panels
    assert loss_ax.get_xlim()[1] >= 500
    labels = [line.get_label() for line in score_ax.get_lines()]
    assert labels == ["box AP", "mask AP"]
    no_masks = curves_figure(records[:2] + [{"type": "val", "iteration": 480, "AP": 0.4}], "AP")
    assert [line.get_label() for line in no_masks.axes[1].get_lines()] == ["AP"]
