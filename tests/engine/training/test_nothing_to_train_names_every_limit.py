"""``--resume`` of a run that has reached two limits at once (``train.max_iters`` and
``train.epochs``, or ``train.epochs`` and a used-up ``train.patience``) names both in its
"nothing to train" warning: raising only the one it named would only lead to a second refusal,
naming the other.

The runs are a tiny Faster R-CNN (``tiny_detector``) on 6 shapes images: 3 steps an epoch
(batches of 2 images), in this process.
"""

from __future__ import annotations

import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.config.schema import TrainConfig
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.training.epoch_loop import finished, nothing_left
from detseg.engine.training.run_state import RunState

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=96, representation_size=32),
    *SMALL_HEADS,
    "train.batch_size=2",
    "train.warmup_iters=0",
    "train.num_workers=0",
    "train.tensorboard=false",
    "train.patience=null",
    "eval.batch_size=2",
    "device=cpu",
]


@pytest.fixture(scope="module")
def run_tiny(tmp_path_factory):
    """``run_tiny(work_dir, *overrides, resume=False) -> exit code``."""
    root = tmp_path_factory.mktemp("limit_shapes")
    generate_shapes(root, num_train=6, num_val=2, size=96, seed=1)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)

    def run(work_dir: Path, *extra: str, resume: bool = False) -> int:
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={root}", *extra])
        return train(cfg, work_dir, resume=resume).exit_code

    yield run
    torch.set_num_threads(threads)


def _said(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "nothing to train" in r.getMessage()]


def test_a_run_at_both_limits_names_both(run_tiny, tmp_path, caplog):
    limits = ("train.epochs=1", "train.max_iters=3")  # the epoch's 3 steps reach both
    assert run_tiny(tmp_path, *limits) == 0
    meta = load_checkpoint(tmp_path / "last.pt")["meta"]["run"]
    assert (meta["epoch"], meta["iteration"]) == (1, 3)
    with caplog.at_level(logging.WARNING):
        assert run_tiny(tmp_path, *limits, resume=True) == 0
    assert _said(caplog) == [
        "nothing to train: iteration 3 already reaches train.max_iters=3 and 1 epoch already "
        "reaches train.epochs=1; raise train.max_iters and train.epochs and resume the run to "
        "train further"
    ]
    caplog.clear()
    # raising only one of them: the warning names the one still reached, in the singular
    with caplog.at_level(logging.WARNING):
        assert run_tiny(tmp_path, "train.epochs=1", "train.max_iters=5", resume=True) == 0
    assert _said(caplog) == [
        "nothing to train: 1 epoch already reaches train.epochs=1; raise train.epochs and "
        "resume the run to train further"
    ]
    caplog.clear()
    # raising both, as the first warning said, trains on
    with caplog.at_level(logging.WARNING):
        assert run_tiny(tmp_path, "train.epochs=2", "train.max_iters=5", resume=True) == 0
    assert _said(caplog) == []
    assert load_checkpoint(tmp_path / "last.pt")["meta"]["run"]["iteration"] == 5


def test_epochs_done_with_patience_used_up_names_both():
    """A run that finished its epochs as its patience ran out: raising ``train.epochs`` alone
    would train no step either."""
    train_cfg = TrainConfig(batch_size=2, epochs=2, patience=1, warmup_iters=0)
    state = RunState(epoch=2, iteration=8, best_score=0.0, best_epoch=0, evals_since_best=1)
    run = SimpleNamespace(cfg=SimpleNamespace(train=train_cfg), state=state)
    assert finished(run)
    assert nothing_left(run) == (
        "nothing to train: 2 epochs already reach train.epochs=2 and the run did not stop "
        "early, but its last 1 evaluation (to epoch 1) brought no improvement, which uses up "
        "train.patience=1; raise train.epochs and train.patience and resume the run to train "
        "further"
    )
