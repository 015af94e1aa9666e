"""``run_tool``: a script of tools/ run as a user runs it, in a subprocess, on one thread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}


@pytest.fixture(scope="session")
def run_tool():
    """``run_tool("eval.py", *args)``: the finished ``subprocess.CompletedProcess`` (text)."""

    def run(script: str, *args: object, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(REPO / "tools" / script), *map(str, args)],
            capture_output=True,
            text=True,
            env=ENV,
            cwd=REPO,
            timeout=timeout,
        )

    return run
