"""End to end: tools/train.py -> --resume -> tools/eval.py -> tools/infer.py on a tiny shapes set.

The scripts run as commands (as a user runs them, each in a process of its own: ``run_tool`` of
tests/conftest.py) with a tiny Faster R-CNN (ResNet-18 C4, 128 px images) for a couple of
iterations. ``OMP_NUM_THREADS=1`` keeps torch from oversubscribing the shared CPU cores, and
the work done in this process runs on one thread too. Every detection config trains one
iteration in test_config_trains_on_shapes.py and test_config_trains_on_layouts.py (files of
their own, so that pytest-xdist runs them beside this one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
import yaml
from tiny_detector import tiny_faster_rcnn

from detseg.config import load_config
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.records import read_metrics
from detseg.engine.training import train
from detseg.engine.validation import COCO_KEYS
from detseg.predict_images import predict_checkpoint

REPO = Path(__file__).resolve().parents[2]

TINY_MODEL = [
    *tiny_faster_rcnn(size=128, representation_size=64),
    "model.rpn={batch_size_per_image: 32, pre_nms_top_n_train: 200, post_nms_top_n_train: 50,"
    " pre_nms_top_n_test: 100, post_nms_top_n_test: 20}",
    "model.roi_heads={batch_size_per_image: 32}",
]
FAST_RUN = [
    "train.batch_size=2",
    "train.num_workers=0",
    "train.log_every=1",
    "train.warmup_iters=1",
    "eval.batch_size=4",
    "device=cpu",
]


def check(result):
    """``result`` of ``run_tool`` after asserting that it exited with 0."""
    assert result.returncode == 0, f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
    return result


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/tools/conftest.py


@pytest.fixture(scope="module")
def run_dir(shapes, tmp_path_factory, run_tool) -> Path:
    """A 2-iteration run of configs/demo.yaml with the tiny model."""
    work_dir = tmp_path_factory.mktemp("run")
    sets = [*TINY_MODEL, *FAST_RUN, f"data.root={shapes}", "train.max_iters=2"]
    check(run_tool("train.py", "configs/demo.yaml", "--work-dir", work_dir, "--set", *sets))
    return work_dir


def test_train_writes_config_metrics_and_checkpoints(run_dir, shapes):
    for name in ("config.yaml", "metrics.jsonl", "last.pt", "best.pt"):
        assert (run_dir / name).is_file(), name
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["data"]["root"] == str(shapes)
    assert config["train"]["max_iters"] == 2 and config["model"]["backbone"] == "resnet18"
    records = read_metrics(run_dir / "metrics.jsonl")
    train = [r for r in records if r["type"] == "train"]
    assert [r["iteration"] for r in train] == [0, 1]
    assert all(r["loss"] > 0 for r in train)
    val = [r for r in records if r["type"] == "val"]
    assert len(val) == 1 and set(COCO_KEYS) <= set(val[0])

    best = load_checkpoint(run_dir / "best.pt")
    last = load_checkpoint(run_dir / "last.pt")
    assert best["classes"] == last["classes"] and len(best["classes"]) > 0
    assert best["config"] == config
    assert best["meta"]["iteration"] == 2 and best["meta"]["metrics"]["AP"] == val[0]["AP"]
    assert "optimizer" in last and "rng" in last and "optimizer" not in best
    for key, value in best["model"].items():
        assert torch.equal(value, last["model"][key]), key


def test_resume_continues_where_training_stopped(run_dir, shapes, run_tool):
    sets = [*TINY_MODEL, *FAST_RUN, f"data.root={shapes}", "train.max_iters=4"]
    result = check(
        run_tool("train.py", "configs/demo.yaml", "--work-dir", run_dir, "--resume", "--set", *sets)
    )
    assert "resumed" in result.stderr
    records = read_metrics(run_dir / "metrics.jsonl")
    train = [r for r in records if r["type"] == "train"]
    assert [(r["epoch"], r["iteration"]) for r in train] == [(0, 0), (0, 1), (1, 2), (1, 3)]
    last = load_checkpoint(run_dir / "last.pt")
    assert last["meta"]["iteration"] == 4 and last["meta"]["epoch"] == 2
    assert last["scheduler"]["last_epoch"] == 4  # 2 steps before the resume, 2 after


def test_eval_writes_the_12_coco_numbers(run_dir, run_tool):
    out = run_dir / "eval_out"
    result = check(run_tool("eval.py", run_dir / "best.pt", "--out", out))
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(COCO_KEYS) <= set(metrics) and "per_class" in metrics
    # Same weights, same val images: the AP recorded during training comes back exactly.
    assert metrics["AP"] == load_checkpoint(run_dir / "best.pt")["meta"]["metrics"]["AP"]
    assert "AP50" in result.stdout


def test_infer_reports_a_corrupt_image_and_processes_the_others(
    run_dir, shapes, tmp_path, run_tool
):
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG not really an image")
    good = sorted((shapes / "val" / "images").iterdir())[:2]
    out = tmp_path / "pred"
    args = [run_dir / "best.pt", good[0], corrupt, str(good[1].parent / good[1].name)]
    result = run_tool("infer.py", *args, "--out", out, "--score-thr", "0", "--batch-size", "2")
    assert result.returncode == 2, result.stderr  # a user error; the good images are written
    assert f"infer: error: cannot read image {corrupt}: " in result.stderr
    assert sorted(p.name for p in out.glob("*.png")) == sorted(p.name for p in good)
    predictions = json.loads((out / "predictions.json").read_text())
    assert isinstance(predictions, list)
    for record in predictions:
        assert {"image_id", "category_id", "bbox", "score", "file_name"} <= set(record)
        assert record["file_name"] in {str(p) for p in good}


def test_infer_exit_code_zero_when_all_inputs_are_readable(run_dir, shapes, tmp_path, run_tool):
    result = run_tool("infer.py", run_dir / "best.pt", shapes / "val" / "images", "--out", tmp_path)
    check(result)
    assert len(list(tmp_path.glob("*.png"))) == 8


@pytest.fixture
def train_config():
    """``train_config(config, work_dir, sets, resume=False)``: the exit code of a training run
    in this process (no import per config)."""

    def run(config: str, work_dir: Path, sets: list[str], resume: bool = False) -> int:
        return train(load_config(REPO / config, sets), work_dir, resume=resume).exit_code

    return run


def test_non_finite_loss_stops_training_and_keeps_the_last_good_checkpoint(
    shapes, tmp_path, train_config
):
    sets = [*TINY_MODEL, *FAST_RUN, f"data.root={shapes}", "train.optimizer=sgd"]
    assert train_config("configs/demo.yaml", tmp_path, [*sets, "train.max_iters=1"]) == 0
    good = load_checkpoint(tmp_path / "last.pt")["model"]
    # Resume with an absurd learning rate: the weights blow up within a few steps.
    exploding = [*sets, "train.max_iters=6", "train.lr=1e30", "train.grad_clip=null"]
    assert train_config("configs/demo.yaml", tmp_path, exploding, resume=True) == 1
    errors = [r for r in read_metrics(tmp_path / "metrics.jsonl") if r["type"] == "error"]
    assert len(errors) == 1 and "non-finite loss at iteration" in errors[0]["message"]
    assert "loss_rpn_cls=" in errors[0]["message"]
    last = load_checkpoint(tmp_path / "last.pt")
    assert last["meta"]["iteration"] == 1
    for key, value in good.items():
        assert torch.equal(value, last["model"][key]), key


def _scores(out: Path) -> list[float]:
    return [r["score"] for r in json.loads((out / "predictions.json").read_text())]


def test_infer_score_threshold_below_the_models_lowers_it_for_the_run(run_dir, shapes, tmp_path):
    images = [str(shapes / "val" / "images")]
    model_at_0_2 = ["model.roi_heads.score_thresh=0.2", "device=cpu"]
    kept = predict_checkpoint(
        run_dir / "best.pt", images, tmp_path / "a", "cpu", 0.3, overrides=model_at_0_2
    )
    lowered = predict_checkpoint(
        run_dir / "best.pt", images, tmp_path / "b", "cpu", 0.001, overrides=model_at_0_2
    )
    assert all(s >= 0.3 for s in _scores(tmp_path / "a"))
    low = _scores(tmp_path / "b")
    assert lowered.detections > kept.detections and min(low) < 0.2 and min(low) >= 0.001


def test_infer_set_overrides_the_checkpoint_config_and_names_a_bad_key(
    run_dir, shapes, run_tool, tmp_path
):
    image = sorted((shapes / "val" / "images").iterdir())[0]
    args = ["infer.py", run_dir / "best.pt", image, "--out", tmp_path, "--score-thr", "0"]
    check(run_tool(*args, "--set", "model.roi_heads.detections_per_img=3"))
    assert 0 < len(_scores(tmp_path)) <= 3
    result = run_tool(*args, "--set", "model.roi_heads.detections_per_imag=3")
    assert result.returncode == 2 and "detections_per_imag" in result.stderr
    assert "Traceback" not in result.stderr
