"""What :func:`detseg.evaluation.output_staging.staged_outputs` leaves behind: the staging folder
of an evaluation killed outright (no process holds its lock) is deleted by the next evaluation
into the same folder, that of a running one is not; a failed first evaluation removes every
folder it created, and only those."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from detseg.evaluation.output_staging import STAGING_PREFIX, staged_outputs


def _evaluation(out: Path) -> None:
    with staged_outputs(out) as stage:
        (stage / "metrics.json").write_text("{}", encoding="utf-8")


def test_the_staging_folder_of_a_killed_evaluation_is_deleted(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    killed = out / f"{STAGING_PREFIX}abc123"  # as a run killed with SIGKILL leaves it
    killed.mkdir(parents=True)
    (killed / "report.html").write_text("half", encoding="utf-8")
    _evaluation(out)
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]


def test_the_staging_folder_of_a_running_evaluation_stays(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    running = out / f"{STAGING_PREFIX}xyz789"
    running.mkdir(parents=True)
    (running / "report.html").write_text("being written", encoding="utf-8")
    held = os.open(running, os.O_RDONLY)  # the lock a running evaluation holds on its folder
    try:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        _evaluation(out)
        assert (running / "report.html").read_text(encoding="utf-8") == "being written"
    finally:
        os.close(held)
    _evaluation(out)  # the lock is gone, as when its process ends
    assert sorted(p.name for p in out.iterdir()) == ["metrics.json"]


def test_a_failed_first_evaluation_removes_the_folders_it_created(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(RuntimeError), staged_outputs(tmp_path / "a" / "b" / "c" / "d"):
        raise RuntimeError("bad data")
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["notes.txt"]
    with pytest.raises(RuntimeError), staged_outputs(tmp_path / "x" / "y"):
        raise RuntimeError("bad data")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a"]
