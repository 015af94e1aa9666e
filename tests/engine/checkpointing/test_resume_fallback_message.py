"""Resuming past a damaged ``last.pt``: one warning says why it failed, which copy the run
resumes from and where the damaged file went, without the advice for a file a user gives
(``give a complete best.pt / last.pt``); when no copy can be read, the error names the
folder's complete ``best.pt`` as a new run's start (``model.init_from``), by keyword from
Python and by flag from ``tools/train.py``."""

from __future__ import annotations

import logging

import pytest
import torch
from tool_modules import load_tool

from detseg.engine.checkpointing import load_resumable, save_checkpoint, save_rotating
from detseg.engine.checkpointing.resume_state import ResumeError
from detseg.shell_words import shell_word


def _state(value: float) -> dict:
    return {"model": {"w": torch.tensor([value])}, "config": {}, "classes": ["a"], "meta": {}}


def _cut_short(path) -> None:
    path.write_bytes(path.read_bytes()[:100])


def test_the_fallback_is_one_warning_without_advice_to_give_a_file(tmp_path, caplog):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0):
        save_rotating(path, _state(value), keep=1)
    _cut_short(path)
    with caplog.at_level(logging.DEBUG):
        _, source = load_resumable(path)
    assert source == tmp_path / "last.1.pt"
    told = [(r.levelno, r.getMessage()) for r in caplog.records if r.levelno >= logging.WARNING]
    assert told == [
        (
            logging.WARNING,
            f"{path} is corrupt: cut short or damaged (its zip directory is unreadable); "
            "resuming from the older copy last.1.pt, the damaged file moved to last.pt.corrupt",
        )
    ]


def test_two_damaged_files_are_named_in_the_one_warning(tmp_path, caplog):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):
        save_rotating(path, _state(value), keep=2)
    _cut_short(path)
    (tmp_path / "last.1.pt").write_bytes(b"")
    with caplog.at_level(logging.WARNING):
        state, _ = load_resumable(path)
    assert float(state["model"]["w"]) == 1.0
    (warning,) = [r.getMessage() for r in caplog.records]
    assert f"{tmp_path / 'last.1.pt'} is empty (0 bytes); resuming from the older copy" in warning
    assert warning.endswith("moved to last.pt.corrupt, last.1.pt.corrupt")
    assert "give" not in warning


def test_no_readable_copy_names_best_pt_as_a_new_start(tmp_path):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _state(1.0))
    _cut_short(path)
    with pytest.raises(ResumeError) as caught:
        load_resumable(path)
    assert "give" not in str(caught.value) and "best.pt" not in str(caught.value)
    save_checkpoint(tmp_path / "best.pt", _state(2.0))
    with pytest.raises(ResumeError) as caught:
        load_resumable(path)
    best = tmp_path / "best.pt"
    assert str(caught.value) == (
        f"cannot resume: {path} is corrupt: cut short or damaged (its zip directory is "
        "unreadable). Start a new run from the folder's best.pt without resume=True "
        f"(overrides=['model.init_from={best}']), or point work_dir at the run's folder."
    )
    flags = load_tool("train.py").TRAIN_FLAGS
    assert caught.value.naming(flags).endswith(
        "Start a new run from the folder's best.pt without --resume "
        f"(--set {shell_word(f'model.init_from={best}')}), or point --work-dir at the run's "
        "folder."
    )


def test_a_damaged_best_pt_is_not_offered(tmp_path):
    path = tmp_path / "last.pt"
    save_checkpoint(path, _state(1.0))
    _cut_short(path)
    save_checkpoint(tmp_path / "best.pt", _state(2.0))
    _cut_short(tmp_path / "best.pt")
    with pytest.raises(ResumeError, match="Start without resume=True") as caught:
        load_resumable(path)
    assert "init_from" not in str(caught.value)
