"""The device keys in a real run on the CPU: ``train.amp: auto`` trains exactly as ``none``,
``model.compile: backbone`` gives the same losses and checkpoint keys, ``train.channels_last:
true`` trains and resumes bit for bit; ``data_wait`` is in the records.

A tiny Faster R-CNN (ResNet-18, no FPN, 64 px) trains one epoch of 3 steps on 6 generated
images, in this process, with one thread.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.records import read_metrics
from detseg.engine.runtime import compiling

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.log_every=1",
    "train.warmup_iters=2",
    "train.tensorboard=false",
    "eval.val_loss=false",
    "eval.batch_size=2",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("device_shapes")
    generate_shapes(root, num_train=6, num_val=2, size=64, seed=2)
    return root


@pytest.fixture(scope="module")
def run_tiny(shapes):
    """``run_tiny(work_dir, *overrides, resume=False, after_step=None) -> exit code``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def run(work_dir: Path, *extra: str, resume: bool = False, after_step=None) -> int:
        overrides = [*TINY, f"data.root={shapes}", *extra]
        cfg = load_config(REPO / "configs" / "demo.yaml", overrides)
        return train(cfg, work_dir, resume=resume, after_step=after_step).exit_code

    yield run
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def float32_run(run_tiny, tmp_path_factory) -> Path:
    """``train.amp: none``, ``channels_last: false`` and ``compile: none`` set explicitly."""
    work_dir = tmp_path_factory.mktemp("float32")
    assert run_tiny(work_dir, "train.amp=none", "train.channels_last=false") == 0
    return work_dir


def _train_records(work_dir: Path) -> list[dict]:
    return [r for r in read_metrics(work_dir / "metrics.jsonl") if r["type"] == "train"]


def _losses(work_dir: Path) -> list[dict[str, float]]:
    return [{k: v for k, v in r.items() if k.startswith("loss")} for r in _train_records(work_dir)]


def test_amp_auto_resolves_to_float32_on_the_cpu_and_trains_identically(
    run_tiny, float32_run, tmp_path
):
    # the defaults (demo.yaml asks for channels-last weights, so auto is given here)
    assert run_tiny(tmp_path, "train.channels_last=auto") == 0
    setup = read_metrics(tmp_path / "metrics.jsonl")[0]
    assert setup["type"] == "setup"
    assert (setup["amp"], setup["channels_last"], setup["compile"]) == ("none", False, "none")
    assert load_checkpoint(tmp_path / "last.pt")["config"]["train"]["amp"] == "auto"
    assert len(_losses(tmp_path)) == 3
    assert _losses(tmp_path) == _losses(float32_run)  # bit for bit
    expected, got = load_checkpoint(float32_run / "last.pt"), load_checkpoint(tmp_path / "last.pt")
    for key, value in expected["model"].items():
        assert torch.equal(value, got["model"][key]), key


def test_data_wait_is_a_share_in_every_train_and_epoch_record(float32_run):
    records = read_metrics(float32_run / "metrics.jsonl")
    shares = [r["data_wait"] for r in records if r["type"] in ("train", "epoch")]
    assert len(shares) == 4  # 3 steps, 1 epoch
    assert all(0.0 <= share <= 1.0 for share in shares)
    assert all("gpu_util" not in r for r in records)  # only on CUDA


def test_compiling_the_backbone_gives_the_same_losses_and_checkpoint_keys(
    run_tiny, float32_run, tmp_path, monkeypatch
):
    monkeypatch.setattr(compiling, "COMPILE_BACKEND", "eager")  # capture without codegen
    torch._dynamo.reset()
    counters = torch._dynamo.utils.counters
    counters.clear()
    extra = ("train.amp=none", "train.channels_last=false", "model.compile=backbone")
    assert run_tiny(tmp_path, *extra) == 0
    assert counters["stats"]["unique_graphs"] >= 1  # the backbone was captured
    torch._dynamo.reset()
    assert read_metrics(tmp_path / "metrics.jsonl")[0]["compile"] == "backbone"
    expected, got = _losses(float32_run), _losses(tmp_path)
    assert len(got) == len(expected) == 3
    assert got == expected  # the eager backend runs the captured graph's own operators
    reference, compiled = (
        load_checkpoint(float32_run / "last.pt"),
        load_checkpoint(tmp_path / "last.pt"),
    )
    assert list(compiled["model"]) == list(reference["model"])
    assert compiled["config"]["model"]["compile"] == "backbone"


def _sigint_after_step_1(run_state) -> None:
    if run_state.iteration == 1:
        os.kill(os.getpid(), signal.SIGINT)  # lands during step 2: last.pt after it


def test_channels_last_weights_train_and_resume_bit_for_bit(run_tiny, tmp_path):
    extra = ("train.channels_last=true", "train.ema=true", "train.ema_warmup=2")
    whole, stopped = tmp_path / "whole", tmp_path / "stopped"
    assert run_tiny(whole, *extra) == 0
    assert read_metrics(whole / "metrics.jsonl")[0]["channels_last"] is True
    assert run_tiny(stopped, *extra, after_step=_sigint_after_step_1) == 128 + signal.SIGINT
    assert load_checkpoint(stopped / "last.pt")["meta"]["run"]["iteration"] == 2
    assert run_tiny(stopped, *extra, resume=True) == 0
    expected, got = load_checkpoint(whole / "last.pt"), load_checkpoint(stopped / "last.pt")
    assert got["meta"]["iteration"] == expected["meta"]["iteration"] == 3
    for key, value in expected["model"].items():
        assert torch.equal(value, got["model"][key]), key
    for key, value in expected["ema"]["model"].items():
        assert torch.equal(value, got["ema"]["model"][key]), f"ema {key}"
    # the checkpoints keep the format: the weights and their EMA copy were channels-last
    convolutions = [key for key, value in got["model"].items() if value.dim() == 4]
    assert convolutions
    for state in (expected["model"], expected["ema"]["model"], got["model"]):
        for key in convolutions:
            assert state[key].is_contiguous(memory_format=torch.channels_last), key


@pytest.mark.cuda
def test_defaults_on_cuda_train_in_bf16_with_channels_last_weights_and_pinned_batches(
    run_tiny, tmp_path
):
    assert run_tiny(tmp_path, "device=cuda", "train.channels_last=auto", "train.num_workers=1") == 0
    records = read_metrics(tmp_path / "metrics.jsonl")
    setup = records[0]
    assert (setup["amp"], setup["channels_last"], setup["compile"]) == ("bf16", True, "none")
    train_records = [r for r in records if r["type"] == "train"]
    assert len(train_records) == 3
    assert all(0.0 <= r["data_wait"] <= 1.0 for r in train_records)
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in train_records)
    assert [r["type"] for r in records].count("val") == 1
    state = load_checkpoint(tmp_path / "last.pt")["model"]
    convolutions = [key for key, value in state.items() if value.dim() == 4]
    assert convolutions
    assert all(state[key].is_contiguous(memory_format=torch.channels_last) for key in convolutions)
    assert all(
        value.dtype == torch.float32 for value in state.values() if value.is_floating_point()
    )


@pytest.mark.cuda
def test_an_inductor_compiled_backbone_trains_on_cuda(run_tiny, tmp_path):
    torch._dynamo.reset()
    assert run_tiny(tmp_path, "device=cuda", "model.compile=backbone") == 0
    torch._dynamo.reset()
    records = read_metrics(tmp_path / "metrics.jsonl")
    assert records[0]["compile"] == "backbone"
    losses = [r["loss"] for r in records if r["type"] == "train"]
    assert len(losses) == 3 and all(isinstance(v, float) for v in losses)
