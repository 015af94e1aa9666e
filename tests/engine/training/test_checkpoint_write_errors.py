"""A failed write of ``best.pt`` (a full disk) stops the run with the same one-line
``WorkDirError`` as a failed ``last.pt``, on every process of a distributed run; the debug
records (``ranks/rank<r>.jsonl``) list no save that failed."""

from __future__ import annotations

import errno
from types import SimpleNamespace

import pytest
from torch import nn

from detseg.engine.checkpointing import WorkDirError
from detseg.engine.runtime import failing_together
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import RunState, train_steps


def _run(tmp_path, dist: DistInfo) -> SimpleNamespace:
    state = RunState(iteration=3, best_score=0.5, best_epoch=0)
    return SimpleNamespace(
        model=nn.Linear(2, 1),
        ema=None,
        dist=dist,
        state=state,
        data=SimpleNamespace(cat_ids=[1]),
        score_by="bbox",
        score_key="AP",
        cfg=SimpleNamespace(to_dict=dict),
        classes=["a"],
        work_dir=tmp_path,
        records=SimpleNamespace(rank_event=lambda event: None),
        optimizer=None,
        scheduler=None,
        scaler=None,
    )


def _disk_full(path, state) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


def test_a_full_disk_while_writing_best_pt_is_one_work_dir_error(tmp_path, monkeypatch):
    monkeypatch.setattr(train_steps, "save_checkpoint", _disk_full)
    with pytest.raises(WorkDirError, match=r"cannot write .*best\.pt: .*No space left") as info:
        train_steps.save_best(_run(tmp_path, DistInfo()))
    assert "\n" not in str(info.value)


def test_every_rank_raises_when_rank_0_cannot_write_best_pt(tmp_path, monkeypatch):
    shared = []  # rank 0's failure line, handed to the other rank (which has none)

    def gather(obj, dist):
        if dist.is_main:
            shared.append(obj)
        return [shared[-1], None]

    monkeypatch.setattr(train_steps, "save_checkpoint", _disk_full)
    monkeypatch.setattr(failing_together, "all_gather", gather)
    with pytest.raises(WorkDirError, match="best.pt"):
        train_steps.save_best(_run(tmp_path, DistInfo(rank=0, world_size=2)))
    with pytest.raises(WorkDirError, match="best.pt"):
        train_steps.save_best(_run(tmp_path, DistInfo(rank=1, world_size=2)))


def test_best_pt_is_written_when_the_disk_has_room(tmp_path):
    train_steps.save_best(_run(tmp_path, DistInfo()))
    assert (tmp_path / "best.pt").is_file()


@pytest.mark.parametrize("name", ["best.pt", "last.pt"])
def test_a_failed_write_is_not_recorded_as_a_save(tmp_path, monkeypatch, name):
    events: list[dict] = []
    run = _run(tmp_path, DistInfo())
    run.records = SimpleNamespace(rank_event=events.append)
    run.cfg.train = SimpleNamespace(keep_checkpoints=1)
    monkeypatch.setattr(train_steps, "training_state", lambda *args, **kwargs: {})
    monkeypatch.setattr(train_steps, "save_checkpoint", _disk_full)
    monkeypatch.setattr(
        train_steps, "save_rotating", lambda path, state, keep: _disk_full(path, state)
    )
    save = train_steps.save_best if name == "best.pt" else train_steps.save_last
    with pytest.raises(WorkDirError, match=name):
        save(run)
    assert events == []
