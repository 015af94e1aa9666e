"""The HTML report shows a metric without a value, NaN as well as pycocotools' -1, as "n/a",
never "nan", and lists classes whose AP is NaN last, with those without ground truth."""

from __future__ import annotations

import math

from detseg.evaluation.report_html import render_report_html

NAN = math.nan
KEYS = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]


def _page(metrics: dict) -> str:
    return render_report_html("t", metrics, {}, {}, [], "", {})


def test_nan_summary_numbers_read_n_a():
    metrics = {**dict.fromkeys(KEYS, 0.5), "AP": NAN, "APs": -1.0, "ARl": math.inf}
    metrics["per_class"] = {"a": {"AP": 0.5, "AP50": NAN, "AR100": 0.5}}
    metrics["voc"] = {"metric": "voc07", "mAP": NAN, "per_class": {"a": NAN}}

    page = _page(metrics)

    assert ">nan<" not in page and ">inf<" not in page
    assert "<td>AP</td><td>AP @ IoU 0.50:0.95, all areas</td><td>n/a</td>" in page
    assert "<td>ARl</td><td>AR, large objects</td><td>n/a</td>" in page
    assert '<td id="voc-map">n/a</td>' in page


def test_classes_with_a_nan_ap_are_listed_last():
    per_class = {
        "nan_class": {"AP": NAN, "AP50": NAN, "AR100": NAN},
        "good": {"AP": 0.9, "AP50": 1.0, "AR100": 0.9},
        "absent": {"AP": -1.0, "AP50": -1.0, "AR100": -1.0},
        "bad": {"AP": 0.1, "AP50": 0.2, "AR100": 0.1},
    }
    page = _page({**dict.fromkeys(KEYS, 0.5), "per_class": per_class})

    table = page[page.index('<table id="per-class">') :]
    order = [table.index(f"<td>{name}</td>") for name in ("bad", "good", "absent", "nan_class")]
    assert order == sorted(order)
    assert "listed last" in table


def test_recall_limits_read_in_the_singular_for_one_detection():
    page = _page(dict.fromkeys(KEYS, 0.5))

    assert "<td>AR1</td><td>AR, at most 1 detection per image</td>" in page
    assert "<td>AR100</td><td>AR, at most 100 detections per image</td>" in page
