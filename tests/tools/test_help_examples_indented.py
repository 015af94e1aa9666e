"""Every tool's ``--help`` sets its example command lines apart from the prose, indented as
one block, as argparse's own usage and option lines are."""

from __future__ import annotations

import pytest

TOOLS = [
    "anchors.py",
    "benchmark.py",
    "check_data.py",
    "convert_dataset.py",
    "convert_torchvision.py",
    "eval.py",
    "export.py",
    "infer.py",
    "make_shapes.py",
    "train.py",
]


@pytest.mark.parametrize("tool", TOOLS)
def test_example_lines_are_indented(tool, run_tool):
    result = run_tool(tool, "--help")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    examples = [line for line in lines if line.lstrip().startswith("python tools/")]
    assert examples, result.stdout  # the help shows how to run the tool
    flush = [line for line in examples if not line.startswith("    ")]
    assert not flush, "\n".join(flush)
