"""``--resume`` with a config that differs from the checkpoint's (``--set train.lr=...``, an
edited file) goes on with the new values and says so: rank 0 logs one line naming each changed
key with its saved and its new value (at most 10, then how many more); nothing when equal."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine import train
from detseg.engine.checkpointing.resume_state import config_changes, config_changes_line

REPO = Path(__file__).resolve().parents[3]

TINY = [
    *tiny_faster_rcnn(size=96, representation_size=32),
    *SMALL_HEADS,
    "train.epochs=1",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.eval_every=100",
    "train.warmup_iters=0",
    "train.num_workers=0",
    "train.tensorboard=false",
    "eval.batch_size=2",
    "device=cpu",
]


def test_changed_keys_are_named_with_both_values():
    saved = {"train": {"lr": 0.002, "epochs": 8, "ema": False}, "seed": 1}
    current = {"train": {"lr": 0.02, "epochs": 10, "ema": False}, "seed": 1}
    assert config_changes(saved, current) == ["train.lr 0.002 -> 0.02", "train.epochs 8 -> 10"]
    assert config_changes_line(saved, current) == (
        "the config differs from the checkpoint's: train.lr 0.002 -> 0.02, train.epochs 8 -> 10"
    )


def test_equal_configs_give_no_line():
    config = {"train": {"lr": 0.02, "milestones": [8, 11]}, "model": {"rpn": {}}}
    assert config_changes_line(config, {**config}) is None


def test_added_and_removed_keys_and_types_count_as_changes():
    saved = {"train": {"old": 1, "flag": 1}}
    current = {"train": {"new": [1, 2], "flag": True}}
    assert config_changes(saved, current) == [
        "train.new (none) -> [1, 2]",
        "train.flag 1 -> True",
        "train.old 1 -> (none)",
    ]


def test_more_than_ten_changes_are_counted():
    saved = {"k": {str(i): i for i in range(13)}}
    current = {"k": {str(i): i + 1 for i in range(13)}}
    line = config_changes_line(saved, current)
    assert line is not None and line.endswith("k.9 9 -> 10, and 3 more")
    assert "k.10 " not in line


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("config_change_shapes")
    generate_shapes(root, num_train=4, num_val=2, size=96, seed=1)
    return root


def _train(shapes: Path, work_dir: Path, *extra: str, resume: bool = False) -> int:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={shapes}", *extra])
        return train(cfg, work_dir, resume=resume).exit_code
    finally:
        torch.set_num_threads(threads)


def _changed_lines(caplog) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if "differs from the checkpoint" in r.getMessage()
    ]


def test_a_resumed_run_logs_the_keys_it_changes(shapes, tmp_path, caplog):
    assert _train(shapes, tmp_path, "train.lr=0.002") == 0
    with caplog.at_level(logging.INFO):
        assert _train(shapes, tmp_path, "train.lr=0.002", resume=True) == 0
    assert _changed_lines(caplog) == []
    caplog.clear()
    with caplog.at_level(logging.INFO):
        assert _train(shapes, tmp_path, "train.lr=0.02", "train.max_iters=2", resume=True) == 0
    assert _changed_lines(caplog) == [
        "the config differs from the checkpoint's: train.max_iters 1 -> 2, train.lr 0.002 -> 0.02"
    ]
