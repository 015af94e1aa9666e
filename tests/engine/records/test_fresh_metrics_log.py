"""A new run in a used work dir starts fresh logs (metrics.jsonl, tb/, ranks/); a resumed run
appends."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.engine.records import RunRecords, keep_previous_log, read_metrics
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import prepare_work_dir


def test_keep_previous_log_shifts_older_copies(tmp_path):
    log = tmp_path / "metrics.jsonl"
    assert keep_previous_log(log) is None
    for text in ("first\n", "second\n", "third\n"):
        log.write_text(text)
        assert keep_previous_log(log) == tmp_path / "metrics.1.jsonl"
    assert not log.exists()
    assert [(tmp_path / f"metrics.{k}.jsonl").read_text() for k in (1, 2, 3)] == [
        "third\n",
        "second\n",
        "first\n",
    ]


def _run(work_dir) -> SimpleNamespace:
    model = nn.Linear(2, 2)
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ema=None,
        cfg=SimpleNamespace(train=SimpleNamespace(keep_checkpoints=2), to_dict=dict),
    )


def _start(work_dir, resume: bool) -> None:
    prepare_work_dir(_run(work_dir), resume=resume)
    with RunRecords(work_dir, DistInfo(), tensorboard=False, debug_ranks=False) as records:
        records.log({"type": "setup", "resumed": resume})


@pytest.mark.parametrize("resume", [False, True])
def test_a_new_run_starts_a_fresh_log_and_a_resumed_run_appends(tmp_path, resume):
    _start(tmp_path, resume=False)
    _start(tmp_path, resume=resume)
    records = read_metrics(tmp_path / "metrics.jsonl")
    if resume:
        assert [r["resumed"] for r in records] == [False, True]
        assert not (tmp_path / "metrics.1.jsonl").exists()
    else:
        assert [r["resumed"] for r in records] == [False]
        assert [r["resumed"] for r in read_metrics(tmp_path / "metrics.1.jsonl")] == [False]


def test_keep_previous_log_moves_folders_too(tmp_path):
    folder = tmp_path / "tb"
    for text in ("first", "second"):
        folder.mkdir()
        (folder / "events").write_text(text)
        assert keep_previous_log(folder) == tmp_path / "tb.1"
    assert not folder.exists()
    assert [(tmp_path / f"tb.{k}" / "events").read_text() for k in (1, 2)] == ["second", "first"]


@pytest.mark.parametrize("resume", [False, True])
def test_tensorboard_and_rank_logs_of_a_previous_run_move_aside(tmp_path, resume):
    for name in ("tb", "ranks"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "old").write_text("previous run")
    prepare_work_dir(_run(tmp_path), resume=resume)
    for name in ("tb", "ranks"):
        kept = tmp_path / name if resume else tmp_path / f"{name}.1"
        assert (kept / "old").read_text() == "previous run"
        assert (tmp_path / name).exists() == resume
