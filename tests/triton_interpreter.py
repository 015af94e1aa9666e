"""Run a test file's CPU cases under Triton's interpreter, in a subprocess.

``TRITON_INTERPRET=1`` must be set before triton is imported, so the cases that run Triton
kernels on CPU tensors (the parameter id ``cpu``) run in a fresh pytest process.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

#: This process runs Triton kernels through the interpreter (on CPU tensors).
INTERPRETED = os.environ.get("TRITON_INTERPRET") == "1"
#: The devices a kernel test runs on: CUDA where there is a GPU, the CPU under the interpreter.
DEVICES = [
    pytest.param("cuda", marks=pytest.mark.cuda),
    pytest.param(
        "cpu",
        marks=pytest.mark.skipif(not INTERPRETED, reason="runs under TRITON_INTERPRET=1 only"),
    ),
]


def assert_cpu_cases_pass_under_the_interpreter(test_file: str | Path) -> None:
    """Run ``test_file -k cpu`` with ``TRITON_INTERPRET=1``; every selected case must pass
    (none skipped). The cases run in that pytest process itself (``-n 0``): xdist workers
    would each import torch and triton again for one file's cases."""
    env = {**os.environ, "TRITON_INTERPRET": "1", "PYTHONWARNINGS": "ignore"}
    command = [sys.executable, "-m", "pytest", "-q", "-n", "0", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [*command, str(test_file), "-k", "cpu"],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and "skipped" not in result.stdout.splitlines()[-1]
