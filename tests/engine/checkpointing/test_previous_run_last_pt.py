"""A new run (not ``--resume``) in a used work dir moves the previous run's ``last.pt`` and its
older copies (``last.<k>.pt``) into ``previous_last.1/``: a later ``--resume`` of the new run
never falls back to (or starts from) a checkpoint of the other run."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.engine.checkpointing import (
    CheckpointError,
    keep_previous_last,
    load_checkpoint,
    load_resumable,
    save_rotating,
)
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import check_resumable, prepare_work_dir


def _state(value: float) -> dict:
    return {
        "model": {"w": torch.tensor([value])},
        "config": {},
        "classes": ["a"],
        "meta": {"value": value},
    }


def _run(work_dir, keep: int) -> SimpleNamespace:
    model = nn.Linear(2, 2)
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ema=None,
        cfg=SimpleNamespace(train=SimpleNamespace(keep_checkpoints=keep), to_dict=dict),
    )


def _names(folder) -> set[str]:
    return {p.name for p in folder.iterdir() if p.name.startswith("last")}


def test_a_new_run_never_resumes_from_the_previous_runs_last_pt(tmp_path):
    last = tmp_path / "last.pt"
    for value in (1.0, 2.0):  # the previous run: last.pt (2) and last.1.pt (1)
        save_rotating(last, _state(value), keep=2)
    prepare_work_dir(_run(tmp_path, keep=2), resume=False)
    assert _names(tmp_path) == set()
    with pytest.raises(CheckpointError, match="holds no last.pt.* moved to .*previous_last.1"):
        check_resumable(tmp_path)  # killed before its first save: nothing of its own to resume
    kept = tmp_path / "previous_last.1"
    assert [load_checkpoint(kept / n)["meta"]["value"] for n in ("last.pt", "last.1.pt")] == [
        2.0,
        1.0,
    ]
    save_rotating(last, _state(10.0), keep=2)  # the new run's first save
    assert _names(tmp_path) == {"last.pt"}
    last.write_bytes(last.read_bytes()[:100])  # damaged: no older copy of this run to use
    with pytest.raises(CheckpointError, match="cannot resume"):
        load_resumable(last)


def test_previous_runs_shift_up_to_keep_checkpoints_and_a_resumed_run_moves_nothing(
    tmp_path, caplog
):
    last = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):  # three runs, one after the other, keep 2
        save_rotating(last, _state(value), keep=2)
        with caplog.at_level(logging.INFO):
            assert keep_previous_last(last, keep=2) == tmp_path / "previous_last.1"
    values = [
        load_checkpoint(tmp_path / f"previous_last.{k}" / "last.pt")["meta"]["value"]
        for k in (1, 2)
    ]
    assert values == [3.0, 2.0] and not (tmp_path / "previous_last.3").exists()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "train.keep_checkpoints=2" in warnings[0]
    save_rotating(last, _state(4.0), keep=2)
    prepare_work_dir(_run(tmp_path, keep=2), resume=True)  # --resume keeps its own last.pt
    assert load_checkpoint(last)["meta"]["value"] == 4.0
    assert keep_previous_last(tmp_path / "none.pt", keep=2) is None


def test_keep_checkpoints_0_removes_the_previous_runs_last_pt_with_a_warning(tmp_path, caplog):
    last = tmp_path / "last.pt"
    save_rotating(last, _state(1.0), keep=1)
    save_rotating(last, _state(2.0), keep=1)
    with caplog.at_level(logging.WARNING):
        assert keep_previous_last(last, keep=0) is None
    assert _names(tmp_path) == set()
    assert "train.keep_checkpoints=0" in caplog.records[0].getMessage()


def test_a_lower_keep_checkpoints_deletes_the_previous_folders_beyond_it(tmp_path):
    last = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):
        save_rotating(last, _state(value), keep=1)
        keep_previous_last(last, keep=3)
    save_rotating(last, _state(4.0), keep=1)
    assert keep_previous_last(last, keep=1) == tmp_path / "previous_last.1"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["previous_last.1"]
    assert load_checkpoint(tmp_path / "previous_last.1" / "last.pt")["meta"]["value"] == 4.0
