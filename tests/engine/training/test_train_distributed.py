"""Data-parallel training: 2 CPU processes (gloo) train the tiny Faster R-CNN for 3 iterations.

One launch of ``torchrun --standalone --nproc_per_node 2 tools/train.py`` (torch's
``torch/distributed/run.py`` as a ``run_tool`` command: its 2 workers are ``python
tools/train.py`` processes of their own) with ``train.debug_ranks=true`` (each process records
the image ids of its steps, the checkpoints it writes, and its final weights under
``ranks/``). Checked: the two shards are disjoint and together cover the epoch's first
images, the replicas hold identical weights, only rank 0 writes checkpoints and logs, and the
sharded evaluation gives exactly the COCO numbers of a one-process evaluation of the same
checkpoint. ``tools/train.py --nproc 2`` (the launcher of :mod:`detseg.engine.runtime.launcher`)
trains the same weights, and prints an error that both processes meet once.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed.run
from tiny_detector import tiny_faster_rcnn

from detseg.data.loader import build_loader
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint, load_model
from detseg.engine.records import read_metrics
from detseg.engine.validation import COCO_KEYS, coco_ground_truth, evaluate_detection

REPO = Path(__file__).resolve().parents[3]

TINY_DDP = [
    *tiny_faster_rcnn(size=128, representation_size=64),
    "model.rpn={batch_size_per_image: 32, pre_nms_top_n_train: 200, post_nms_top_n_train: 50,"
    " pre_nms_top_n_test: 200, post_nms_top_n_test: 100}",
    # score 0 keeps many (poor) detections after 3 steps: the AP is small but not 0
    "model.roi_heads={batch_size_per_image: 32, score_thresh: 0.0}",
    "train.batch_size=2",
    "train.base_batch_size=null",  # demo.yaml sets 8 (its 2 x 4 run); the test scales from 2
    "eval.val_loss=true",  # demo.yaml turns it off to save time
    "train.num_workers=0",
    "train.log_every=1",
    "train.warmup_iters=1",
    "train.max_iters=3",
    "train.debug_ranks=true",
    "eval.batch_size=1",  # same batches as a one-process evaluation: identical predictions
    "device=cpu",
]


TORCHRUN = Path(torch.distributed.run.__file__)  # what ``python -m torch.distributed.run`` runs


@pytest.fixture(scope="module")
def shapes_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("ddp_shapes")
    generate_shapes(root, num_train=16, num_val=8, size=128, seed=0)
    return root


def _train(prefix: list[str], work_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """``[*prefix, tools/train.py, configs/demo.yaml, --work-dir, work_dir, *args]``."""
    train_py = [str(REPO / "tools" / "train.py"), "configs/demo.yaml", "--work-dir", str(work_dir)]
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    command = [*prefix, *train_py, *args]
    return subprocess.run(command, capture_output=True, text=True, env=env, cwd=REPO, timeout=300)


def _train_nproc(run_tool, work_dir: Path, *args: str) -> subprocess.CompletedProcess:
    """``python tools/train.py demo --work-dir work_dir --nproc 2 *args`` (the packaged
    configs/demo.yaml) as a ``run_tool`` command: the launcher process is a fork of a process
    that has imported torch (its 2 workers are ``python tools/train.py`` processes of their
    own, as from a terminal)."""
    return run_tool("train.py", "demo", "--work-dir", work_dir, "--nproc", "2", *args)


@pytest.fixture(scope="module")
def ddp_run(tmp_path_factory, shapes_root, run_tool) -> Path:
    """The tiny run in 2 processes started by torchrun (a ``run_tool`` command: an absolute
    path stays itself under ``tools/``)."""
    work_dir = tmp_path_factory.mktemp("ddp_run")
    train_py = [REPO / "tools" / "train.py", "configs/demo.yaml", "--work-dir", work_dir]
    torchrun = [TORCHRUN, "--standalone", "--nproc_per_node", "2", *train_py]
    result = run_tool(*torchrun, "--set", *TINY_DDP, f"data.root={shapes_root}")
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    return work_dir


def _rank_records(work_dir: Path, rank: int) -> list[dict]:
    return read_metrics(work_dir / "ranks" / f"rank{rank}.jsonl")


def test_ranks_see_disjoint_samples(ddp_run):
    seen = []
    for rank in (0, 1):
        steps = [r for r in _rank_records(ddp_run, rank) if r["event"] == "step"]
        assert [s["iteration"] for s in steps] == [0, 1, 2]
        assert all(len(s["image_ids"]) == 2 for s in steps)
        seen.append({i for s in steps for i in s["image_ids"]})
    assert len(seen[0]) == len(seen[1]) == 6
    assert not seen[0] & seen[1]


def test_replicas_hold_identical_weights(ddp_run):
    rank0 = torch.load(ddp_run / "ranks" / "rank0_final.pt", weights_only=True)
    rank1 = torch.load(ddp_run / "ranks" / "rank1_final.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    for key, value in rank0.items():
        assert torch.equal(value, rank1[key]), key
    last = load_checkpoint(ddp_run / "last.pt")
    for key, value in last["model"].items():
        assert torch.equal(value, rank0[key]), key
    # The optimizer did step 3 times on batches that differed between the ranks: identical
    # replicas mean the gradients were averaged.
    assert all(int(state["step"]) == 3 for state in last["optimizer"]["state"].values())


def test_only_rank_zero_writes_checkpoints_and_logs(ddp_run):
    saves = {r: [e for e in _rank_records(ddp_run, r) if e["event"] == "save"] for r in (0, 1)}
    assert [e["file"] for e in saves[0]] == ["best.pt", "last.pt"]  # best.pt first
    assert saves[1] == []
    train = [r for r in read_metrics(ddp_run / "metrics.jsonl") if r["type"] == "train"]
    assert [r["iteration"] for r in train] == [0, 1, 2]  # one writer: no duplicated record
    setup = next(r for r in read_metrics(ddp_run / "metrics.jsonl") if r["type"] == "setup")
    assert setup["world_size"] == 2 and setup["effective_batch_size"] == 4
    assert setup["lr"] == pytest.approx(2 * 0.002)  # demo.yaml lr, linear scaling from 2 to 4
    assert sorted(p.name for p in ddp_run.glob("*.pt")) == ["best.pt", "last.pt"]


def test_sharded_evaluation_equals_one_process_evaluation(ddp_run, monkeypatch):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # the CPU is shared: one thread is much faster than two here
    try:
        _check_one_process_evaluation(ddp_run)
    finally:
        torch.set_num_threads(threads)


def _check_one_process_evaluation(ddp_run: Path) -> None:
    val = [r for r in read_metrics(ddp_run / "metrics.jsonl") if r["type"] == "val"]
    assert len(val) == 1
    model, config, _ = load_model(ddp_run / "last.pt", "cpu")
    data_cfg = {k: v for k, v in config["data"].items() if k != "augmentations"}
    val_set = build_dataset(data_cfg, "val")
    gt = coco_ground_truth(val_set)
    loader = build_loader(val_set, 1, False)
    metrics, _ = evaluate_detection(model, loader, torch.device("cpu"), gt.gt, gt.cat_ids)
    assert metrics["AR100"] > 0 and metrics["AP"] > 0  # a comparison of real detections
    for key in COCO_KEYS:
        assert val[0][key] == metrics[key], key
    assert val[0]["per_class"] == metrics["per_class"]
    assert val[0]["loss"] > 0 and "loss_rpn_cls" in val[0]  # validation loss, all shards


def test_nproc_trains_what_torchrun_trains(ddp_run, shapes_root, tmp_path, run_tool):
    """``tools/train.py --nproc 2`` (its own launcher) gives the torchrun run's weights."""
    overrides = ["--set", *TINY_DDP, f"data.root={shapes_root}"]
    result = _train_nproc(run_tool, tmp_path, *overrides)
    assert result.returncode == 0, f"{result.stdout}\n{result.stderr}"
    # the launcher names the packaged file it read; its workers read it again, silently
    assert result.stderr.count("demo: the packaged config") == 1, result.stderr
    for rank in (0, 1):
        ours = torch.load(tmp_path / "ranks" / f"rank{rank}_final.pt", weights_only=True)
        theirs = torch.load(ddp_run / "ranks" / f"rank{rank}_final.pt", weights_only=True)
        assert ours.keys() == theirs.keys()
        assert all(torch.equal(ours[k], theirs[k]) for k in ours), rank


def test_nproc_prints_an_error_every_process_meets_once(tmp_path, run_tool):
    missing = tmp_path / "no_dataset"
    result = _train_nproc(run_tool, tmp_path / "run", "--set", f"data.root={missing}", "device=cpu")
    assert result.returncode == 2
    errors = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1, result.stderr
    assert errors[0].startswith(f"train: error: data.root '{missing}' is not a folder")


def test_nproc_under_torchrun_is_an_argument_error(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "x")
    result = _train([sys.executable], tmp_path, "--nproc", "2")
    assert result.returncode == 2
    assert "--nproc starts the processes itself: leave it out under torchrun" in result.stderr
