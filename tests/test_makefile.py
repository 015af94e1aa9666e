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
