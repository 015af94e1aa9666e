"""A disk that fills up while a checkpoint is written: the write fails with the ``OSError``
itself (torch's zip writer turns it into a ``RuntimeError`` "unexpected pos ..."), the previous
file stays whole, no temporary file is left, and training stops with one ``WorkDirError`` line
instead of a traceback."""

from __future__ import annotations

import errno
import io
from types import SimpleNamespace

import pytest
import torch
from tool_modules import load_tool
from torch import nn

from detseg.engine.checkpointing import WorkDirError, checkpoint, load_checkpoint
from detseg.engine.checkpointing.checkpoint import save_checkpoint
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import RunState, train_steps


class _FullDisk(io.FileIO):
    """A file whose writes fail with ENOSPC once 2 kB are written."""

    def __init__(self, name, mode="r", *args, **kwargs) -> None:
        super().__init__(name, mode)
        self.written = 0

    def write(self, data) -> int:
        self.written += len(data)
        if self.written > 2048:
            raise OSError(errno.ENOSPC, "No space left on device")
        return super().write(data)


def _state(value: float) -> dict:
    weights = {"w": torch.full((4096,), value)}
    return {"model": weights, "config": {}, "classes": ["a"], "meta": {"iteration": 1}}


def test_a_full_disk_fails_the_write_with_its_os_error(tmp_path, monkeypatch):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _state(1.0))
    monkeypatch.setattr(checkpoint, "open", _FullDisk, raising=False)
    with pytest.raises(OSError) as info:
        save_checkpoint(path, _state(2.0))
    assert info.value.errno == errno.ENOSPC
    monkeypatch.undo()
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.full((4096,), 1.0))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.pt"]


def test_other_torch_errors_pass_unchanged(tmp_path, monkeypatch):
    def fails(state, file):
        raise RuntimeError("not a write error")

    monkeypatch.setattr(checkpoint.torch, "save", fails)
    with pytest.raises(RuntimeError, match="not a write error"):
        save_checkpoint(tmp_path / "last.pt", _state(1.0))


def test_a_full_disk_while_writing_best_pt_is_one_line(tmp_path, monkeypatch):
    """The resume it advises is named as the caller gave it: ``resume=True`` to
    ``detseg.engine.train``, ``--resume`` to ``tools/train.py`` (its ``TRAIN_FLAGS``)."""
    (tmp_path / "last.pt").write_bytes(b"the run's last.pt")
    monkeypatch.setattr(checkpoint, "open", _FullDisk, raising=False)
    error = train_steps._write_best(_run(tmp_path))
    assert isinstance(error, WorkDirError) and "\n" not in str(error)
    line = f"cannot write {tmp_path / 'best.pt'}: No space left on device; free disk space or "
    then = (
        "fix the folder's permissions, then continue with {} (an earlier last.pt is left as it was)"
    )
    assert str(error) == line + then.format("resume=True")
    assert error.naming(load_tool("train.py").TRAIN_FLAGS) == line + then.format("--resume")


def test_a_full_disk_before_the_first_last_pt_says_to_start_again(tmp_path, monkeypatch):
    """With no last.pt written yet, a resume would be refused: the line says so."""
    monkeypatch.setattr(checkpoint, "open", _FullDisk, raising=False)
    error = train_steps._write_best(_run(tmp_path))
    assert error is not None and "continue with" not in str(error)
    then = "then start the run again (it wrote no last.pt to resume from)"
    assert str(error).endswith(then)
    # no setting sits there: the tool's form does not read "to --resume from"
    assert error.naming(load_tool("train.py").TRAIN_FLAGS).endswith(then)


def test_a_full_disk_while_writing_last_pt_is_a_work_dir_error(tmp_path, monkeypatch):
    run = _run(tmp_path)
    monkeypatch.setattr(train_steps, "training_state", lambda *args, **kwargs: {})
    monkeypatch.setattr(checkpoint, "open", _FullDisk, raising=False)
    with pytest.raises(WorkDirError, match=r"cannot write .*last\.pt: No space left on device;"):
        train_steps._write_last(run, None)


def _run(tmp_path) -> SimpleNamespace:
    """The parts of a ``TrainingRun`` that the checkpoint writes read."""
    return SimpleNamespace(
        model=nn.Linear(64, 64),
        ema=None,
        dist=DistInfo(),
        state=RunState(iteration=3, best_score=0.5, best_epoch=0),
        data=SimpleNamespace(cat_ids=[1]),
        score_by="bbox",
        cfg=SimpleNamespace(to_dict=dict, train=SimpleNamespace(keep_checkpoints=1)),
        classes=["a"],
        work_dir=tmp_path,
        records=SimpleNamespace(rank_event=lambda event: None),
        optimizer=None,
        scheduler=None,
        scaler=None,
    )
