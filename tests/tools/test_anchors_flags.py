"""``tools/anchors.py``: counts and sizes below 1 are refused before any box is read."""

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
