"""A very long class name wraps in the report's tables instead of widening the page past its
1200 px column (an unbroken 300-character name pushed every number off screen)."""

from __future__ import annotations

import re

from detseg.evaluation.report_html import render_report_html

LONG = "a" * 300


def test_first_column_of_the_tables_wraps_long_names() -> None:
    metrics = {"AP": 0.5, "AP50": 0.5, "AP75": 0.5, "per_class": {LONG: {"AP": 0.5}}}
    counts = {LONG: {"gt": 1, "TP": 1, "FP": 0, "FN": 0}}
    page = render_report_html("r", metrics, counts, {}, [], "", {})
    assert f"<td>{LONG}</td>" in page
    (style,) = re.findall(r"<style>(.*)</style>", page, re.S)
    rules = dict(re.findall(r"([^{}]+)\{([^}]*)\}", style))
    wrapping = [sel.strip() for sel, body in rules.items() if "overflow-wrap: anywhere" in body]
    assert any(sel.split("*/")[-1].strip() == "td:first-child" for sel in wrapping), wrapping
    assert any("max-width" in rules[sel] for sel in rules if sel.strip().endswith("td:first-child"))
