"""The target table (tools/benchmark.py suite): rows as data, reports, a failing row, the tool.

Timing values are not asserted (only that they are positive); the rows run here are tiny
(64 px, batch 1, 1 repetition) except the one real CPU row of the command-line run.
"""

from __future__ import annotations

import json

import pytest
import torch

import detseg.benchmark.suite_runner as suite_runner
from detseg.benchmark.profiling import CallProfile
from detseg.benchmark.suite import CPU_ROWS, GPU_ROWS, SuiteRow, select_rows, suite_rows
from detseg.benchmark.suite_profile_checks import profile_checks
from detseg.benchmark.suite_runner import run_suite
from detseg.benchmark.twins import DETECTION_TWINS, SEGMENTATION_TWINS

TINY = SuiteRow(
    "tiny", "LR-ASPP tiny", "lraspp_mobilenet_v3_large", 64, 1, amp="none", threads=1,
    repeats=1, train_target=0.01, infer_target=1000.0, profile=True,
)  # fmt: skip


def test_tables_are_well_formed_and_selected_by_name():
    for rows in (GPU_ROWS, CPU_ROWS):
        names = [row.name for row in rows]
        assert len(set(names)) == len(names)
        assert all(row.arch in DETECTION_TWINS + SEGMENTATION_TWINS for row in rows)
    assert all(row.train_target and row.infer_target for row in GPU_ROWS)
    assert [row.name for row in GPU_ROWS if row.profile] == ["fasterrcnn_bf16"]
    first = GPU_ROWS[0]
    assert (first.arch, first.size, first.batch, first.amp) == (
        "fasterrcnn_resnet50_fpn",
        800,
        8,
        "bf16",
    )
    assert (
        first.flags(3)
        == "fasterrcnn_resnet50_fpn --size 800 --batch 8 --amp bf16 --repeats 3 --profile"
    )
    assert suite_rows("cuda:0") == GPU_ROWS and suite_rows("cpu") == CPU_ROWS
    assert select_rows(GPU_ROWS, ["fcn_bf16", "fasterrcnn_bf16"]) == (first, GPU_ROWS[7])
    assert select_rows(CPU_ROWS) == CPU_ROWS
    with pytest.raises(ValueError, match="--only nosuch: no such row.*fasterrcnn_bf16, "):
        select_rows(GPU_ROWS, ["fcn_bf16", "nosuch"])


def _profile(launches: float | None, syncs: float | None) -> CallProfile:
    return CallProfile(3, "cuda" if launches is not None else "cpu", launches, syncs, [])


def test_profile_checks_hold_launches_and_training_syncs_to_their_targets():
    profiles = {
        "torchvision": {"train": _profile(3248, 171.3), "infer": _profile(1283, 96)},
        "detseg": {"train": _profile(1624, 10), "infer": _profile(939, 5)},
    }
    checks = {(c.count, c.kind): c for c in profile_checks(profiles)}
    assert checks["kernel launches", "train"].met is True  # exactly 2x fewer
    assert checks["kernel launches", "infer"].met is False  # 1.37x fewer
    assert (
        checks["host syncs", "train"].met is True
        and checks["host syncs", "train"].target == "<= 10"
    )
    assert checks["host syncs", "infer"].met is None  # no target
    profiles["detseg"]["train"] = _profile(1625, 11)
    checks = {(c.count, c.kind): c for c in profile_checks(profiles)}
    assert checks["kernel launches", "train"].met is False
    assert checks["host syncs", "train"].met is False
    cpu = {name: {k: _profile(None, None) for k in ("train", "infer")} for name in profiles}
    assert all(check.met is None for check in profile_checks(cpu))


def test_suite_reports_a_failing_row_and_goes_on(tmp_path, monkeypatch):
    real = suite_runner.benchmark_model

    def out_of_memory_for_faster_rcnn(arch, **settings):
        if arch == "fasterrcnn_resnet50_fpn":
            raise torch.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB\nmore")
        return real(arch, **settings)

    monkeypatch.setattr(suite_runner, "benchmark_model", out_of_memory_for_faster_rcnn)
    lines: list[str] = []
    out = tmp_path / "report" / "suite.md"
    threads = torch.get_num_threads()
    results = run_suite([GPU_ROWS[0], TINY], "cpu", out, progress=lines.append)
    assert torch.get_num_threads() == threads  # the tiny row's 1 thread is undone

    assert [r.row.name for r in results] == ["fasterrcnn_bf16", "tiny"]
    failed, tiny = results
    assert failed.comparison is None
    assert failed.error == "OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"
    assert failed.met == {"train": False, "infer": False}
    assert tiny.error is None and tiny.comparison.train_ratio > 0
    assert tiny.met == {"train": True, "infer": False}  # 0.01x reached, 1000x not
    assert lines[0] == (
        "[1/2] fasterrcnn_bf16: fasterrcnn_resnet50_fpn --size 800 --batch 8 --amp bf16 "
        "--repeats 5 --profile --device cpu"
    )
    assert lines[1].startswith("[1/2] fasterrcnn_bf16: failed: OutOfMemoryError: CUDA out of")
    assert lines[3].startswith("[2/2] tiny: train ") and "infer target not met" in lines[3]
    assert lines[-1] == f"wrote {out} and {out.with_suffix('.json')}"

    markdown = out.read_text()
    assert markdown.startswith("# detseg vs torchvision: the target table on cpu\n")
    for head in ("- date: ", "- commit: ", f"- torch {torch.__version__}, torchvision "):
        assert head in markdown
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| model | flags | train img/s (tv → detseg) | train ratio |")
    assert rows[1].startswith("| Faster R-CNN R50-FPN (`fasterrcnn_bf16`) | `fasterrcnn_resnet50")
    assert rows[1].endswith(
        "| - | - | - | - | >= 1.5x / >= 2x | no (train, infer) | failed: OutOfMemoryError: CUDA "
        "out of memory. Tried to allocate 2.00 GiB |"
    )
    assert rows[2].startswith("| LR-ASPP tiny (`tiny`) | `lraspp_mobilenet_v3_large --size 64 ")
    assert "| >= 0.01x / >= 1000x | no (infer) | logits and losses agree" in rows[2]
    assert "Not measured: the row failed (OutOfMemoryError: CUDA out of memory." in markdown
    assert "| host syncs | training step | n/a (cpu) | **n/a (cpu)** | <= 10 | n/a |" in markdown
    assert "| kernel launches | inference | n/a (cpu) | **n/a (cpu)** | 2x fewer than" in markdown

    data = json.loads(out.with_suffix(".json").read_text())
    assert data["environment"]["torch"] == torch.__version__
    assert [row["status"] for row in data["rows"]] == ["failed", "ok"]
    assert data["rows"][0]["result"] is None and "out of memory" in data["rows"][0]["error"]
    raw = data["rows"][1]["result"]
    assert raw["train_ratio"] == pytest.approx(
        raw["train_images_per_s"]["detseg"] / raw["train_images_per_s"]["torchvision"]
    )
    assert raw["outputs_agree"] is True and raw["logits_agree"] is True
    assert set(raw["profiles"]) == {"torchvision", "detseg"}
    assert raw["profiles"]["detseg"]["train"]["top_ops"]  # op names and times, unrounded
    assert len(data["rows"][1]["profile_checks"]) == 4


def test_suite_help_lists_every_flag_and_row(run_tool):
    done = run_tool("benchmark.py", "suite", "--help")
    assert done.returncode == 0, done.stderr
    for flag in ("--device", "--out", "--only", "--repeats", "--seed"):
        assert flag in done.stdout
    for row in GPU_ROWS + CPU_ROWS:
        assert f"  {row.name} " in done.stdout


def test_suite_runs_one_real_cpu_row_from_the_command_line(tmp_path, run_tool):
    """The row sets its own thread count (1), whatever OMP_NUM_THREADS says."""
    out = tmp_path / "suite.md"
    done = run_tool(
        "benchmark.py", "suite", "--only", "lraspp", "--repeats", "1", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].startswith("[1/1] lraspp: lraspp_mobilenet_v3_large")
    assert "| LR-ASPP MobileNetV3 (`lraspp`) |" in out.read_text()
    assert json.loads(out.with_suffix(".json").read_text())["rows"][0]["status"] == "ok"
