"""Plain-text result tables."""

from __future__ import annotations

import pytest

from detseg.evaluation import coco_table, format_table


def test_format_table_aligns_and_rounds() -> None:
    text = format_table(["class", "AP"], [["cat", 0.5], ["giraffe", float("nan")]], digits=2)
    assert text.splitlines() == [
        "  class    AP",
        "-------  ----",
        "    cat  0.50",
        "giraffe   nan",
    ]
    with pytest.raises(ValueError, match="2 headers"):
        format_table(["a", "b"], [[1]])


def test_coco_table_has_overall_and_per_class_rows() -> None:
    result = {"AP": 0.25, "AP50": 0.5, "per_class": {"cat": {"AP": 0.25, "AP50": 0.5}}}
    lines = coco_table(result).splitlines()
    assert lines[0].split() == ["AP", "AP50"] and lines[2].split() == ["0.250", "0.500"]
    assert lines[4].split() == ["class", "AP", "AP50"]
    assert lines[6].split() == ["cat", "0.250", "0.500"]
