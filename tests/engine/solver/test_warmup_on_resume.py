"""The warmup of a resumed run: a longer schedule on ``--resume`` never falls back into the ramp.

A run of 2 epochs of 5 steps with ``train.warmup_iters=100`` warms up over its 10 steps (the
warmup is capped at the run's length). Resumed with ``train.epochs=4`` (what ``resume_run`` does:
:func:`keep_saved_warmup`, then ``restore_training_state``), its learning rate goes on from where
the saved run left it, at its end and in the middle of its warmup; the same config resumes bit
for bit; a ``train.warmup_iters`` changed on resume applies as configured. The same through
``detseg.engine.train`` with ``--resume``: a tiny detector's run of 1 epoch of 4 steps, resumed
with ``train.epochs=2``, uses from step 4 on the learning rates of a 2-epoch run whose warmup
lasts the 4 steps the first run warmed up over.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import TrainConfig, load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing.resume_state import restore_training_state, training_state
from detseg.engine.records import read_metrics
from detseg.engine.solver.schedules import keep_saved_warmup, scheduler_from_config

REPO = Path(__file__).resolve().parents[3]

STEPS_PER_EPOCH = 5
SHORT = TrainConfig(epochs=2, warmup_iters=100, milestones=[3], schedule="multistep", lr=0.1)


def _optimization(train: TrainConfig):
    weight = torch.nn.Parameter(torch.zeros(2))
    optimizer = torch.optim.SGD([weight], lr=train.lr)
    return optimizer, scheduler_from_config(optimizer, train, STEPS_PER_EPOCH)


def _lrs(optimizer, scheduler, steps: int) -> list[float]:
    """The learning rate of each of the next ``steps`` steps."""
    lrs = []
    for _ in range(steps):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return lrs


def _saved_after(train: TrainConfig, steps: int) -> tuple[dict, list[float]]:
    """The ``last.pt`` parts of a run of ``train`` stopped after ``steps`` steps, and its lrs."""
    optimizer, scheduler = _optimization(train)
    lrs = _lrs(optimizer, scheduler, steps)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    saved = training_state(optimizer, scheduler, scaler)
    saved["config"] = {"train": dataclasses.asdict(train)}
    return saved, lrs


def _resumed(train: TrainConfig, saved: dict):
    optimizer, scheduler = _optimization(train)
    keep_saved_warmup(scheduler, saved, train.warmup_iters)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    restore_training_state(saved, optimizer, scheduler, scaler)
    return optimizer, scheduler


@pytest.mark.parametrize("stopped_at", [10, 4])
def test_longer_schedule_goes_on_from_the_saved_lr(stopped_at):
    saved, _ = _saved_after(SHORT, stopped_at)
    _, short_lrs = _saved_after(SHORT, 10)
    longer = dataclasses.replace(SHORT, epochs=4)
    lrs = _lrs(*_resumed(longer, saved), 20 - stopped_at)
    # the saved run's warmup goes on (to its end at step 10), then the multistep decay (step 15)
    assert lrs[: 10 - stopped_at] == short_lrs[stopped_at:]
    assert lrs[10 - stopped_at :] == [0.1] * 5 + [pytest.approx(0.1 * 0.1)] * 5


def test_same_config_resumes_bit_for_bit():
    saved, _ = _saved_after(SHORT, 4)
    _, uninterrupted = _saved_after(SHORT, 10)
    assert _lrs(*_resumed(SHORT, saved), 6) == uninterrupted[4:]


def test_changed_warmup_applies_as_configured():
    saved, _ = _saved_after(SHORT, 4)
    longer = dataclasses.replace(SHORT, epochs=4, warmup_iters=50)
    _, reference = _saved_after(longer, 10)
    assert _lrs(*_resumed(longer, saved), 6) == reference[4:]


def test_train_resumed_with_more_epochs_keeps_the_warmup(tmp_path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=8, num_val=2, size=64, seed=1)
    tiny = [
        *tiny_faster_rcnn(size=64),
        *SMALL_HEADS,
        "train.batch_size=2",  # 4 steps an epoch
        "train.schedule=cosine",
        "train.log_every=1",
        "train.num_workers=0",
        "train.tensorboard=false",
        "eval.batch_size=2",
        "device=cpu",
        f"data.root={root}",
    ]

    def lrs(work_dir: Path, *extra: str, resume: bool = False) -> list[float]:
        cfg = load_config(REPO / "configs" / "demo.yaml", [*tiny, *extra])
        assert train(cfg, work_dir, resume=resume).exit_code == 0
        records = read_metrics(work_dir / "metrics.jsonl")
        return [r["lr"] for r in records if r["type"] == "train"]

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        lrs(tmp_path / "run", "train.epochs=1", "train.warmup_iters=100")
        resumed = lrs(tmp_path / "run", "train.epochs=2", "train.warmup_iters=100", resume=True)
        reference = lrs(tmp_path / "reference", "train.epochs=2", "train.warmup_iters=4")
    finally:
        torch.set_num_threads(threads)
    assert len(resumed) == len(reference) == 8
    assert resumed[4:] == reference[4:]
