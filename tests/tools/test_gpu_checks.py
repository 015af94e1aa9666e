"""``tools/gpu_checks.sh``: the GPU measurements in one command (run here without a GPU, so each
stage is checked for how it starts, not for its figures)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "gpu_checks.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")


def _run(out: Path, *stages: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(SCRIPT), str(out), *stages],
        cwd=REPO,
        capture_output=True,
        text=True,
        env={**os.environ, "PY": sys.executable, **env},
        timeout=300,
    )


def test_an_unknown_stage_is_refused_before_any_stage_starts(tmp_path):
    """A misspelt stage after a valid one stops the script before the first stage (and before
    machine.txt, whose Python imports torch): nothing is measured, nothing is written."""
    out = tmp_path / "out"
    result = _run(out, "tests", "bench")
    assert result.returncode == 2
    assert result.stderr == (
        "gpu_checks.sh: error: unknown stage 'bench': use suite, tests, demo or loop\n"
    )
    assert not out.exists()


def test_help_prints_the_usage_and_starts_nothing(tmp_path):
    # --help was taken for OUT_DIR: a folder named "--help" and the default stages started
    result = subprocess.run(
        ["bash", str(SCRIPT), "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0 and result.stderr == ""
    assert "bash tools/gpu_checks.sh OUT_DIR [suite] [tests] [demo] [loop]" in result.stdout
    assert "Exit status" in result.stdout and "set -u" not in result.stdout
    assert list(tmp_path.iterdir()) == []
    unknown = subprocess.run(
        ["bash", str(SCRIPT), "-x"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert unknown.returncode == 2 and "unknown option -x" in unknown.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_the_tests_stage_collects_every_test_file(tmp_path):
    """The CUDA tests run without pytest-xdist's options but in the importlib import mode: test
    files of one name in several folders are all collected (none here has a GPU: skipped)."""
    result = _run(tmp_path, "tests", TESTS_S="200")
    log = (tmp_path / "cuda_tests.log").read_text()
    assert result.returncode == 0, log[-2000:]
    assert "error" not in log.lower()
    assert "skipped" in log and "deselected" in log
    assert "tests: exit 0 after" in (tmp_path / "machine.txt").read_text()


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_the_demo_stage_is_make_demo_with_the_given_python(tmp_path):
    """``make demo``'s own recipe runs with ``$PY`` and builds no virtual environment (a dry run
    through MAKEFLAGS=n shows the commands)."""
    scratch = tmp_path / "tmp"  # mktemp's folder: the marker folder is removed afterwards
    scratch.mkdir()
    result = _run(tmp_path / "out", "demo", MAKEFLAGS="n", TMPDIR=str(scratch))
    log = (tmp_path / "out" / "demo.log").read_text()
    assert result.returncode == 0, log
    assert f"{sys.executable} tools/train.py configs/demo.yaml --nproc" in log
    assert "--work-dir runs/demo_gpu" in log
    # the GPU count of machine.txt decides processes and device (no GPU here: the CPU's)
    machine = (tmp_path / "out" / "machine.txt").read_text()
    assert "gpus 0" in machine.splitlines()
    assert "--nproc 2" in log and "device=cpu" in log
    assert "pip install" not in log and "-m venv" not in log
    assert "demo: exit 0 after" in machine
    assert list(scratch.glob("tmp.*")) == []  # mktemp -d names
