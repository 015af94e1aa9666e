"""``make demo`` picks its processes and device from the machine (checked with ``make -n``)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from detseg.config import load_config

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs make")


def _demo_commands(*variables: str) -> str:
    result = subprocess.run(
        ["make", "-n", "demo", *variables], cwd=REPO, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_one_process_per_gpu_with_mixed_precision():
    commands = _demo_commands("DEMO_GPUS=4")
    assert "tools/train.py configs/demo.yaml --nproc 4" in commands
    assert "--set data.root=datasets/shapes device=cuda" in commands
    # bf16 (or fp16 on GPUs without it) comes from the config's train.amp: auto
    assert "train.amp" not in commands
    assert load_config(REPO / "configs/demo.yaml").train.amp == "auto"


def test_two_cpu_processes_without_a_gpu():
    commands = _demo_commands("DEMO_GPUS=0")
    assert "tools/train.py configs/demo.yaml --nproc 2" in commands
    assert "--set data.root=datasets/shapes device=cpu" in commands
    assert "train.amp" not in commands


def _fresh_clone_commands(tmp_path: Path, target: str) -> list[str]:
    """``make -n TARGET`` in a folder holding the Makefile and no ``.venv`` (a fresh clone)."""
    shutil.copy(REPO / "Makefile", tmp_path / "Makefile")
    for name in ("pyproject.toml", "setup.py", "constraints.txt"):
        (tmp_path / name).touch()
    result = subprocess.run(
        ["make", "-n", target, "DEMO_GPUS=0"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    return [line for line in result.stdout.splitlines() if "pip install" in line]


def test_demo_installs_without_the_dev_extra(tmp_path):
    installs = _fresh_clone_commands(tmp_path, "demo")
    assert any("torch==2.14.1" in line for line in installs)
    assert any(line.endswith("-c constraints.txt -e .") for line in installs)
    assert not any("[dev]" in line for line in installs)


@pytest.mark.parametrize("target", ["setup", "test", "lint", "typecheck"])
def test_setup_test_and_checks_install_the_dev_extra(tmp_path, target):
    installs = _fresh_clone_commands(tmp_path, target)
    assert any("torch==2.14.1" in line for line in installs)
    assert installs[-1].endswith("-c constraints.txt -e '.[dev]'")
