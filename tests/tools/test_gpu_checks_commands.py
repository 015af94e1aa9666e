"""``tools/gpu_checks.sh`` run with a stand-in Python that records its arguments: every command
line a stage would run on the GPU machine parses with the tools' current flags (and the demo
config takes the loop's overrides), and each stage leaves the logs its header lists."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from detseg.config.loading import load_config

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "gpu_checks.sh"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")

# a Python that runs nothing: it appends its arguments to $RECORD, one JSON list a line
STAND_IN = """\
import json, os, sys
with open(os.environ["RECORD"], "a") as record:
    record.write(json.dumps(sys.argv[1:]) + "\\n")
print("stand-in ran", *sys.argv[1:])
"""


def _tool(name: str):
    spec = importlib.util.spec_from_file_location(f"tool_{name}_gpu_checks", REPO / "tools" / name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """``(out folder, recorded argument lists)`` of ``gpu_checks.sh OUT suite tests loop`` run
    in an empty folder (no shapes dataset: the loop stage makes one first)."""
    work = tmp_path_factory.mktemp("gpu_checks_work")
    stand_in = work / "python"
    stand_in.write_text(f"#!{sys.executable}\n{STAND_IN}")
    stand_in.chmod(0o755)
    record, out = work / "record.jsonl", work / "out"
    done = subprocess.run(
        ["bash", str(SCRIPT), str(out), "suite", "tests", "loop"],
        cwd=work,
        capture_output=True,
        text=True,
        env={**os.environ, "PY": str(stand_in), "RECORD": str(record)},
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return out, [json.loads(line) for line in record.read_text().splitlines()]


def _command(recorded_argv: list[list[str]], script: str) -> list[str]:
    [argv] = [argv for argv in recorded_argv if argv and argv[0] == script]
    return argv[1:]


def test_the_suite_stage_parses_with_the_benchmark_flags(recorded, monkeypatch):
    out, argv = recorded
    benchmark = _tool("benchmark.py")
    monkeypatch.setattr(benchmark, "device_name", str)  # no GPU here to resolve "cuda"
    args = benchmark.build_parser().parse_args(_command(argv, "tools/benchmark.py"))
    assert (args.command, args.device, args.out) == ("suite", "cuda", out / "suite_cuda.md")
    assert args.only is None and args.repeats is None  # every row, each with its repeats


def test_the_loop_stage_parses_with_the_train_flags_and_config_keys(recorded):
    _, argv = recorded
    train = _tool("train.py")
    args = train.parse_args(_command(argv, "tools/train.py"))
    config = load_config(REPO / args.config, args.set)
    assert (config.device, config.train.batch_size, config.train.epochs) == ("cuda", 32, 3)
    assert config.train.profile_steps == 20
    assert _command(argv, "tools/make_shapes.py") == ["--out", "datasets/shapes"]


def test_the_tests_stage_selects_the_cuda_tests(recorded):
    _, argv = recorded
    [pytest_argv] = [a for a in argv if a[:2] == ["-m", "pytest"]]
    assert pytest_argv[-3:] == ["-m", "cuda", "tests"]
    assert "--import-mode=importlib" in " ".join(pytest_argv)


def test_every_stage_leaves_its_log_and_its_line_in_machine_txt(recorded):
    out, _ = recorded
    for log in ("suite.log", "cuda_tests.log", "loop.log", "loop_data.log"):
        assert "stand-in ran" in (out / log).read_text(), log
    assert "tools/train.py" in (out / "loop.log").read_text()
    assert "tools/make_shapes.py" in (out / "loop_data.log").read_text()  # not overwritten
    machine = (out / "machine.txt").read_text()
    for stage, limit in (("suite", 330), ("tests", 200), ("loop", 300)):
        assert f"{stage}: exit 0 after " in machine and f"(limit {limit} s)" in machine
