"""Profiling a real training run (``train.profile_steps``, ``tools/train.py --profile N``).

A tiny Faster R-CNN trains 2 epochs of 4 steps (8 images, batches of 2) in this process, once
without and once with 3 steps profiled after 2: the window crosses the end of epoch 0 (the
profiler pauses over the evaluation), the three files land in ``WORK_DIR/profile/`` with
their contents, and the weights end bit for bit as without profiling. A run shorter than the
window profiles what it has and says so; a negative ``profile_steps`` is a config error; on
CUDA (marked ``cuda``) the summary counts kernel launches and host syncs.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from tiny_detector import tiny_faster_rcnn

from detseg.config import ConfigError, load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.step_profiler import (
    ProfileWindow,
    profile_window,
    start_profiler,
    steps_left,
)

REPO = Path(__file__).resolve().parents[3]
SUMMARY_KEYS = {
    "steps",
    "requested_steps",
    "warmup_steps",
    "iterations",
    "device",
    "wall_ms_per_step",
    "data_wait",
    "img_per_s",
    "kernel_launches_per_step",
    "host_syncs_per_step",
    "top_ops",
}

TINY = [
    *tiny_faster_rcnn(size=64, representation_size=16),
    "model.rpn={batch_size_per_image: 16, pre_nms_top_n_train: 50, post_nms_top_n_train: 20,"
    " pre_nms_top_n_test: 20, post_nms_top_n_test: 5}",
    "model.roi_heads={batch_size_per_image: 8}",
    "train.epochs=2",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.warmup_iters=2",
    "train.tensorboard=false",
    "eval.max_images=2",
    "eval.batch_size=2",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("profile_shapes")
    generate_shapes(root, num_train=8, num_val=2, size=64, seed=3)
    return root


@pytest.fixture(scope="module")
def run(shapes):
    """``run(work_dir, *overrides, device="cpu") -> exit code``: the tiny run, on one thread."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def train_tiny(work_dir: Path, *extra: str, device: str = "cpu") -> int:
        overrides = [*TINY, f"data.root={shapes}", f"device={device}", *extra]
        cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
        return train(cfg, work_dir).exit_code

    yield train_tiny
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def reference(run, tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("unprofiled")
    assert run(work_dir) == 0
    return work_dir


@pytest.fixture(scope="module")
def profiled(run, tmp_path_factory) -> Path:
    work_dir = tmp_path_factory.mktemp("profiled")
    assert run(work_dir, "train.profile_steps=3", "train.profile_warmup=2") == 0
    return work_dir


def _summary(work_dir: Path) -> dict:
    return json.loads((work_dir / "profile" / "summary.json").read_text())


def test_the_profile_files_have_the_steps_asked_for(profiled, reference):
    assert not (reference / "profile").exists()  # off by default
    summary = _summary(profiled)
    assert SUMMARY_KEYS <= set(summary)
    assert summary["steps"] == summary["requested_steps"] == 3
    assert summary["warmup_steps"] == 2 and summary["iterations"] == [2, 4]
    assert summary["device"] == "cpu" and "note" not in summary
    assert summary["wall_ms_per_step"] > 0 and 0 <= summary["data_wait"] <= 1
    assert summary["kernel_launches_per_step"] is None and summary["host_syncs_per_step"] is None
    names = [op["name"] for op in summary["top_ops"]]
    assert any(name.startswith("aten::") for name in names)
    assert all(op["ms_per_step"] > 0 and 0 < op["share"] <= 1 for op in summary["top_ops"])
    ops = (profiled / "profile" / "ops.txt").read_text()
    assert "aten::convolution_backward" in ops and "train step" in ops
    trace = json.loads((profiled / "profile" / "trace.json").read_text())
    steps = [e for e in trace["traceEvents"] if e.get("name") == "train step"]
    assert len(steps) >= 3  # one range a step (and one cut by the end of epoch 0)


def test_profiling_leaves_the_weights_bit_for_bit(profiled, reference):
    mine = torch.load(profiled / "last.pt", weights_only=True)
    theirs = torch.load(reference / "last.pt", weights_only=True)
    assert mine["model"].keys() == theirs["model"].keys()
    for name, tensor in theirs["model"].items():
        assert torch.equal(mine["model"][name], tensor), name


def test_a_short_run_profiles_what_is_left_and_says_so(run, tmp_path, caplog):
    with caplog.at_level(logging.INFO, logger="detseg.engine.training.step_profiler"):
        assert run(tmp_path, "train.max_iters=3", "train.profile_steps=5") == 0
    summary = _summary(tmp_path)
    assert summary["steps"] == 3 and summary["requested_steps"] == 5
    assert summary["warmup_steps"] == 0 and summary["iterations"] == [0, 2]
    assert "room for 3 steps" in summary["note"]
    messages = [r.getMessage() for r in caplog.records]
    assert any("the run has 3 steps left" in m for m in messages), messages
    assert any(m.startswith("profiled 3 steps") and "summary.json" in m for m in messages)


@pytest.mark.parametrize(
    ("steps", "warmup", "left", "window"),
    [
        (10, 10, 100, (10, 10)),
        (10, 10, 20, (10, 10)),
        (10, 10, 15, (5, 10)),  # the last 10 steps
        (10, 10, 4, (0, 4)),  # all there is
        (10, 0, 0, (0, 0)),
    ],
)
def test_profile_window_stays_inside_the_run(steps, warmup, left, window):
    assert profile_window(steps, warmup, left) == ProfileWindow(*window, warmup, steps)


def test_steps_left_counts_epochs_accumulation_and_max_iters():
    cfg = load_config(REPO / "configs" / "demo.yaml", ["train.epochs=3", "train.accumulate=2"])
    assert steps_left(cfg.train, batches_per_epoch=5, iteration=0) == 9  # 3 x ceil(5 / 2)
    assert steps_left(cfg.train, batches_per_epoch=5, iteration=4) == 5
    cfg.train.max_iters = 6
    assert steps_left(cfg.train, batches_per_epoch=5, iteration=4) == 2


def test_only_rank_0_profiles_and_only_when_asked(tmp_path):
    cfg = load_config(REPO / "configs" / "demo.yaml", ["train.profile_steps=4"])
    cpu = torch.device("cpu")
    main = start_profiler(cfg.train, tmp_path, cpu, DistInfo(rank=0, world_size=2), left=100)
    assert main is not None and main.window == ProfileWindow(10, 4, 10, 4)
    assert start_profiler(cfg.train, tmp_path, cpu, DistInfo(rank=1, world_size=2), 100) is None
    cfg.train.profile_steps = 0
    assert start_profiler(cfg.train, tmp_path, cpu, DistInfo(), left=100) is None


def test_a_one_step_window_is_said_in_the_singular(tmp_path, caplog):
    cfg = load_config(REPO / "configs" / "demo.yaml", ["train.profile_steps=4"])
    with caplog.at_level(logging.WARNING, logger="detseg.engine.training.step_profiler"):
        start_profiler(cfg.train, tmp_path, torch.device("cpu"), DistInfo(), left=1)
    (message,) = [r.getMessage() for r in caplog.records]
    assert message.endswith("the run has 1 step left, so the profile covers 1 step after 0")


def test_a_negative_profile_steps_is_a_config_error():
    with pytest.raises(ConfigError, match=r"train\.profile_steps must be >= 0, got -1"):
        load_config(REPO / "configs" / "demo.yaml", ["train.profile_steps=-1"])
    with pytest.raises(ConfigError, match=r"train\.profile_warmup must be >= 0"):
        load_config(REPO / "configs" / "demo.yaml", ["train.profile_warmup=-2"])


def test_train_help_documents_profile_and_it_sets_the_key():
    result = subprocess.run(
        [sys.executable, str(REPO / "tools" / "train.py"), "--help"],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0 and "--profile N" in result.stdout
    assert "profile_steps" in result.stdout


def test_profile_flag_becomes_the_config_key(run_tool, tmp_path):
    result = run_tool("train.py", "configs/demo.yaml", "--work-dir", tmp_path, "--profile", "-1")
    assert result.returncode == 2, result.stderr
    assert "train.profile_steps must be >= 0, got -1" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.cuda
def test_a_cuda_profile_counts_kernel_launches_and_host_syncs(run, tmp_path):
    extra = ("train.max_iters=4", "train.profile_steps=2", "train.profile_warmup=1")
    assert run(tmp_path, *extra, device="cuda") == 0
    summary = _summary(tmp_path)
    assert summary["steps"] == 2 and summary["device"].startswith("cuda")
    assert summary["kernel_launches_per_step"] > 0
    assert summary["host_syncs_per_step"] >= 1  # the loop reads its loss terms once a step
    assert (tmp_path / "profile" / "trace.json").stat().st_size > 0
    assert "self_device_time_total" in (tmp_path / "profile" / "ops.txt").read_text()
