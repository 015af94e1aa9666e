"""A checkpoint --resume cannot use is told in one line that names the file: a damaged last.pt
with no good older copy is not logged beside the error that names it, and a file without the
training state (a best.pt renamed, an older or foreign file) is named with what to do."""

from __future__ import annotations

import logging

import pytest
import torch
from tool_modules import load_tool

from detseg.engine.checkpointing import CheckpointError, load_resumable, save_checkpoint
from detseg.engine.checkpointing.resume_state import check_resume_entries


def _weights_only() -> dict:
    return {"model": {"w": torch.zeros(1)}, "config": {}, "classes": ["a"], "meta": {"run": {}}}


def test_a_damaged_last_pt_without_a_good_copy_is_one_error_not_a_log_line_too(tmp_path, caplog):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _weights_only())
    path.write_bytes(path.read_bytes()[:100])  # cut short
    with caplog.at_level(logging.DEBUG), pytest.raises(CheckpointError, match="last.pt"):
        load_resumable(path)
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_a_file_without_the_training_state_is_named_with_what_to_do(tmp_path):
    source = tmp_path / "last.pt"
    with pytest.raises(CheckpointError) as err:
        check_resume_entries(_weights_only(), source)
    message = str(err.value)
    assert str(source) in message and "\n" not in message
    assert "['optimizer', 'scheduler', 'scaler', 'rng']" in message
    assert "start without resume=True" in message and "(use last.pt)" not in message
    tool = err.value.naming(load_tool("train.py").TRAIN_FLAGS)  # as tools/train.py names it
    assert tool.endswith("resume from such a last.pt, or start without --resume")


def test_resuming_with_ema_from_a_run_without_it_names_the_file_and_the_key(tmp_path):
    source = tmp_path / "last.pt"
    state = {**_weights_only(), "optimizer": {}, "scheduler": {}, "scaler": {}, "rng": {}}
    state["meta"] = {"run": {}}
    state["scheduler"] = {"lr_lambdas": [None], "last_epoch": 3}
    check_resume_entries(state, source)  # without EMA: nothing missing
    with pytest.raises(CheckpointError) as err:
        check_resume_entries(state, source, ema=True)
    assert str(source) in str(err.value)
    assert str(err.value).endswith(
        "resume with train.ema=False in the config, or start without resume=True"
    )
    tool = err.value.naming(load_tool("train.py").TRAIN_FLAGS)
    assert tool.endswith("resume with --set train.ema=false, or start without --resume")
