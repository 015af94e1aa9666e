"""A damaged ``best.pt`` found on ``--resume`` is moved aside (``best.pt.corrupt``, as the
resume does for a damaged ``last.pt``) and the warning says so: loading the run folder prefers
``best.pt``, so it must never be a damaged file."""

from __future__ import annotations

import logging
from types import SimpleNamespace

from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import keep_best_pt_score
from detseg.engine.training.run_state import RunState


def _run(work_dir, rank: int = 0) -> SimpleNamespace:
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(rank=rank),
        state=RunState(epoch=2, best_score=0.5, best_epoch=1, run_id="run-a"),
        score_key="AP",
    )


def test_a_damaged_best_pt_is_moved_aside_on_resume(tmp_path, caplog):
    (tmp_path / "best.pt").write_bytes(b"not a checkpoint")
    with caplog.at_level(logging.WARNING):
        keep_best_pt_score(_run(tmp_path))
    assert not (tmp_path / "best.pt").exists()
    assert (tmp_path / "best.pt.corrupt").read_bytes() == b"not a checkpoint"
    assert "moved it to best.pt.corrupt" in caplog.text


def test_an_earlier_corrupt_copy_is_kept(tmp_path):
    (tmp_path / "best.pt.corrupt").write_bytes(b"older")
    (tmp_path / "best.pt").write_bytes(b"newer")
    keep_best_pt_score(_run(tmp_path))
    assert (tmp_path / "best.pt.corrupt").read_bytes() == b"older"
    assert (tmp_path / "best.pt.corrupt.1").read_bytes() == b"newer"
