"""``tools/anchors.py``: counts and sizes below 1, and a ``--k`` that leaves a level short of
``--per-level`` priors, are refused before any box is read."""

from __future__ import annotations

import argparse
import importlib.util
import json
from pathlib import Path

import pytest

TOOL = Path(__file__).resolve().parents[2] / "tools" / "anchors.py"


@pytest.fixture(scope="module")
def anchors_tool():
    spec = importlib.util.spec_from_file_location("tool_anchors", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def flags(**changes: int) -> argparse.Namespace:
    return argparse.Namespace(**{"k": 9, "input_size": 416, "per_level": 3, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"k": 0}, "--k must be >= 1, got 0"),
        ({"input_size": 0}, "--input-size must be >= 1, got 0"),
        ({"input_size": -5}, "--input-size must be >= 1, got -5"),
        ({"per_level": 0}, "--per-level must be >= 1, got 0"),
    ],
)
def test_flags_below_one_are_refused(anchors_tool, changes, message):
    with pytest.raises(ValueError, match=message):
        anchors_tool.check_flags(flags(**changes))
    anchors_tool.check_flags(flags(k=1, input_size=1, per_level=1))  # the minimum is fine


def test_a_bad_flag_stops_before_any_output(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    boxes = [{"id": i, "image_id": 1, "bbox": [0, 0, 10 * i, 10], "category_id": 1} for i in (1, 2)]
    ann.write_text(json.dumps({"images": [image], "annotations": boxes, "categories": []}))
    result = run_tool("anchors.py", ann, "--k", "2", "--per-level", "0")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip() == "anchors: error: --per-level must be >= 1, got 0"


@pytest.mark.parametrize(
    ("k", "per_level", "nearest"), [(7, 3, "6 or 9"), (2, 3, "3"), (5, 2, "4 or 6")]
)
def test_k_must_fill_whole_levels(anchors_tool, k, per_level, nearest):
    expected = (
        f"--k {k} is not a multiple of --per-level {per_level}: every level gets {per_level} "
        f"priors; use --k {nearest}, or another --per-level"
    )
    with pytest.raises(ValueError) as error:
        anchors_tool.check_flags(flags(k=k, per_level=per_level))
    assert str(error.value) == expected
    anchors_tool.check_flags(flags(k=6, per_level=3))
    anchors_tool.check_flags(flags(k=4, per_level=1))


def test_an_uneven_last_level_is_an_argument_error(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    boxes = [
        {"id": i, "image_id": 1, "bbox": [0, 0, 5 * i, 10], "category_id": 1} for i in range(1, 9)
    ]
    ann.write_text(json.dumps({"images": [image], "annotations": boxes, "categories": []}))
    result = run_tool("anchors.py", ann, "--k", "7")  # 3 per level by default
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        "anchors: error: --k 7 is not a multiple of --per-level 3: every level gets 3 priors; "
        "use --k 6 or 9, or another --per-level"
    ]
