"""A model comparison says what it is doing before its report: building torchvision's model,
building detseg's from it (copying the weights), the agreement check and the timings each log a
line when they start and one with their seconds when they end, in the order of the work.
``tools/benchmark.py model`` prints them on stderr: its standard output keeps the report.

64 px, batch 1, one timed repetition, 1 thread; timings are not asserted.
"""

from __future__ import annotations

import logging
import re

from detseg.benchmark.model_vs_torchvision import benchmark_model

DONE = r": done in \d+\.\d s"
FAST = ["--size", "64", "--batch", "1", "--repeats", "1", "--threads", "1"]


def assert_stages(lines: list[str], stages: list[str]) -> None:
    """``lines`` are ``<stage> ...`` and ``<stage>: done in <s> s`` for each stage in turn."""
    assert len(lines) == 2 * len(stages), lines
    for stage, start, end in zip(stages, lines[::2], lines[1::2], strict=True):
        assert start == f"{stage} ...", lines
        assert re.fullmatch(re.escape(stage) + DONE, end), lines


def stages(arch: str, check: str, calls: int = 2) -> list[str]:
    return [
        f"building torchvision's {arch} (random weights) on cpu",
        "building detseg's model from it and copying the weights",
        check,
        f"timing training steps and inference: {calls} calls of each per model",
    ]


def test_a_segmentation_comparison_logs_each_stage_in_order(caplog, one_thread):
    caplog.set_level(logging.INFO, logger="detseg")
    arch = "lraspp_mobilenet_v3_large"
    benchmark_model(arch, size=64, batch=1, repeats=1)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("detseg.benchmark")]
    check = "checking that both models' logits and losses agree on the batch of 1 (float32)"
    assert_stages(lines, stages(arch, check))


def test_the_tool_prints_a_detector_comparisons_stages_on_stderr(run_tool):
    arch = "fasterrcnn_mobilenet_v3_large_320_fpn"
    result = run_tool("benchmark.py", "model", arch, *FAST)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert all(line.startswith("INFO ") for line in lines), lines  # no bar: not a terminal
    check = "checking that both models detect the same on the batch of 1 (float32)"
    assert_stages([line.removeprefix("INFO ") for line in lines], stages(arch, check))
    stdout = result.stdout.splitlines()
    assert stdout[0].startswith(f"{arch}: batch 1 x 64 px on cpu (1 thread)")
    assert "same detections: True (eval mode, float32; 100 detections per image)" in stdout
    assert not any(" ..." in line or "done in" in line for line in stdout), stdout
