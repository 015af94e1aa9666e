"""Where and when the target table was measured: date, commit, versions and device.

:func:`describe_environment` gives the head of the suite's report (and the environment stored
with every row, so that a row kept from an earlier run says when and where it was measured).
It is separate from :mod:`detseg.benchmark.suite_report` because it asks the machine (git, the
CPU model, the CUDA device), not the results.
"""

from __future__ import annotations

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import torch
import torchvision

# The checkout detseg runs from, if it is one; for an installed wheel, the site-packages folder
# (which may lie inside another project's repository: its commit is not detseg's).
_REPO = Path(__file__).resolve().parents[2]


@dataclass
class SuiteEnvironment:
    """Where and when the suite ran (the head of the report)."""

    date: str
    commit: str
    torch: str
    torchvision: str
    device: str
    device_name: str
    threads: int
    python: str


def git_commit(directory: Path = _REPO) -> str:
    """``git rev-parse --short HEAD`` of ``directory`` (``"+ uncommitted changes"`` when tracked
    files differ from it), or ``"unknown (not a git checkout)"`` when ``directory`` is not the
    top folder of a repository (a folder inside one, such as a virtual environment's
    site-packages in a project's checkout, belongs to that project's history)."""
    try:
        top = Path(_git(directory, "rev-parse", "--show-toplevel"))
        if top.resolve() != directory.resolve():
            return "unknown (not a git checkout)"
        commit = _git(directory, "rev-parse", "--short", "HEAD")
        changes = _git(directory, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"{commit} + uncommitted changes" if changes else commit


def _git(directory: Path, *args: str) -> str:
    """The stripped output of ``git ARGS`` run in ``directory`` (raises when git fails)."""
    command = ["git", *args]
    result = subprocess.run(
        command, cwd=directory, capture_output=True, text=True, timeout=10, check=True
    )
    return result.stdout.strip()


def _cpu_model() -> str:
    """The CPU's model name from ``/proc/cpuinfo`` (Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()} CPU"


def describe_environment(device: str) -> SuiteEnvironment:
    """The date (UTC), commit, versions and device of a suite run on ``device``."""
    where = torch.device(device)
    if where.type == "cuda":
        name = torch.cuda.get_device_name(where)
    else:
        name = f"{_cpu_model()}, {os.cpu_count()} cores"
    return SuiteEnvironment(
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        commit=git_commit(),
        torch=torch.__version__,
        torchvision=torchvision.__version__,
        device=str(where),
        device_name=name,
        threads=torch.get_num_threads(),
        python=platform.python_version(),
    )
