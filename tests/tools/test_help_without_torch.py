"""``python tools/<tool>.py --help`` and argument errors come back without importing torch.

Every tool parses its arguments with light imports only (argparse, the torch-free lists of
:mod:`detseg.choices`, ...) and imports torch and the modules that do the work after that, so
the help and the usage errors take a fraction of a second instead of a torch import. Each case
runs the command as a user does, under ``-X importtime``, whose report on stderr lists every
module the process imported.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOOLS = sorted(  # the scripts of the commands; tools/ also holds modules they share
    path.stem for path in (REPO / "tools").glob("*.py") if "\ndef cli(" in path.read_text()
)
ENV = {**os.environ, "PYTHONPATH": str(REPO)}
BENCHMARK_COMMANDS = ("eval", "model", "postprocess", "suite")


def run(tool: str, *args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """``python -X importtime tools/<tool>.py args``: the finished process (its stderr without
    the import report) and the top-level names of the modules it imported."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", str(REPO / "tools" / f"{tool}.py"), *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=ENV,
        timeout=120,
    )
    lines = result.stderr.splitlines()
    report = [line for line in lines if line.startswith("import time:")]
    result.stderr = "\n".join(line for line in lines if not line.startswith("import time:"))
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in report}
    return result, imported


def test_every_tool_is_covered():
    assert len(TOOLS) >= 10 and {"train", "infer", "eval", "benchmark"} <= set(TOOLS)


@pytest.mark.parametrize(
    "argv",
    [[tool, "--help"] for tool in TOOLS]
    + [["benchmark", command, "--help"] for command in BENCHMARK_COMMANDS],
    ids=" ".join,
)
def test_help_does_not_import_torch(argv):
    tool, *args = argv
    result, imported = run(tool, *args)
    assert result.returncode == 0, result.stderr[-2000:]
    usage = " ".join([f"usage: python tools/{tool}.py", *args[:-1]])
    assert result.stdout.startswith(usage + " "), result.stdout[:300]
    assert "options:" in result.stdout and result.stderr == ""
    assert "torch" not in imported, f"{' '.join(argv)} imported torch"


@pytest.mark.parametrize(
    "argv",
    # an unknown flag: missing required arguments come first where a tool has them
    [[tool, "--no-such-flag"] for tool in TOOLS]
    # a sub-command without its architecture: argparse converts the --device default first
    + [["benchmark", "model"], ["benchmark", "postprocess"]],
    ids=" ".join,
)
def test_argument_errors_do_not_import_torch(argv):
    tool, *args = argv
    result, imported = run(tool, *args)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stdout == "" and result.stderr.startswith("usage: "), result.stderr[-2000:]
    assert f"{tool}.py" in result.stderr and "error: " in result.stderr
    assert "torch" not in imported, f"{' '.join(argv)} imported torch"
