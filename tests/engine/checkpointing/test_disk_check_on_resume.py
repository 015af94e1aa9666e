"""The free-space check of a resumed run counts the checkpoints it goes on with (``last.pt``,
its copies, ``best.pt``): they are replaced, not added to, so a run that fit on its disk is
not refused ``--resume`` for want of room it already holds. A new run needs the room besides
(the previous run's files are kept)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.engine.checkpointing import WorkDirError, disk_check
from detseg.engine.checkpointing.disk_check import checkpoint_bytes, held_bytes, required_bytes
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import prepare_work_dir

HELD = 4000  # bytes of each checkpoint file already in the work dir


def _run(work_dir) -> SimpleNamespace:
    model = nn.Linear(100, 100)  # 40 kB checkpoints: 10 times HELD
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ema=None,
        cfg=SimpleNamespace(train=SimpleNamespace(keep_checkpoints=1), to_dict=dict),
    )


@pytest.fixture
def nearly_full(tmp_path, monkeypatch):
    """A work dir with last.pt, last.1.pt and best.pt, on a disk whose free space is what a
    run needs less what these files hold, plus a little."""
    for name in ("last.pt", "last.1.pt", "best.pt"):
        (tmp_path / name).write_bytes(b"\0" * HELD)
    model = _run(tmp_path).model
    needed = required_bytes(checkpoint_bytes(model, 0, False), checkpoint_bytes(model, 0, False), 1)
    usage = SimpleNamespace(free=needed - 3 * HELD + 100)
    monkeypatch.setattr(disk_check.shutil, "disk_usage", lambda path: usage)
    return tmp_path


def test_a_resumed_run_counts_the_checkpoints_it_replaces(nearly_full):
    """Not refused, and the checkpoints it goes on with stay where they are."""
    assert held_bytes(nearly_full, 1) == 3 * HELD
    prepare_work_dir(_run(nearly_full), resume=True)
    kept = {p.name: p.stat().st_size for p in nearly_full.iterdir()}
    assert kept == {"last.pt": HELD, "last.1.pt": HELD, "best.pt": HELD}


def test_a_new_run_needs_the_room_besides_the_previous_runs_files(nearly_full):
    with pytest.raises(WorkDirError, match="not enough free space"):
        prepare_work_dir(_run(nearly_full), resume=False)


def test_a_hard_linked_copy_counts_once(tmp_path):
    (tmp_path / "last.pt").write_bytes(b"\0" * HELD)
    (tmp_path / "last.1.pt").hardlink_to(tmp_path / "last.pt")
    (tmp_path / "last.2.pt").write_bytes(b"\0" * HELD)  # beyond keep 1: removed at the next save
    assert held_bytes(tmp_path, 1) == HELD
