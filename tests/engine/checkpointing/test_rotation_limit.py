"""``train.keep_checkpoints`` lowered on a resumed run: the next save leaves only that many
older copies of ``last.pt`` (``last.1.pt`` ... ``last.<keep>.pt``); lowered for a new run in a
used work dir, only that many previous ``best.pt`` (``best.1.pt`` ...)."""

from __future__ import annotations

import torch

from detseg.engine.checkpointing import (
    keep_previous,
    load_checkpoint,
    save_checkpoint,
    save_rotating,
)


def _state(value: float) -> dict:
    return {
        "model": {"w": torch.tensor([value])},
        "config": {},
        "classes": ["a"],
        "meta": {"value": value},
    }


def _copies(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("last"))


def test_a_lower_keep_checkpoints_drops_the_copies_beyond_it_at_the_next_save(tmp_path):
    last = tmp_path / "last.pt"
    for value in range(5):
        save_rotating(last, _state(float(value)), keep=3)
    assert _copies(tmp_path) == ["last.1.pt", "last.2.pt", "last.3.pt", "last.pt"]
    save_rotating(last, _state(5.0), keep=1)
    assert _copies(tmp_path) == ["last.1.pt", "last.pt"]
    assert load_checkpoint(tmp_path / "last.1.pt")["meta"]["value"] == 4.0
    save_rotating(last, _state(6.0), keep=0)
    assert _copies(tmp_path) == ["last.pt"]


def test_a_damaged_last_pt_is_set_aside_and_the_copies_beyond_keep_still_go(tmp_path):
    last = tmp_path / "last.pt"
    for value in range(4):
        save_rotating(last, _state(float(value)), keep=3)
    last.write_bytes(last.read_bytes()[:100])
    save_rotating(last, _state(9.0), keep=1)
    assert _copies(tmp_path) == ["last.1.pt", "last.pt", "last.pt.corrupt"]
    assert load_checkpoint(tmp_path / "last.1.pt")["meta"]["value"] == 2.0


def test_a_new_run_with_a_lower_keep_checkpoints_keeps_that_many_previous_best_pt(tmp_path):
    best = tmp_path / "best.pt"
    for value in range(4):  # four runs of keep 3: best.pt, best.1.pt ... best.3.pt
        keep_previous(best, keep=3)
        save_checkpoint(best, _state(float(value)))
    keep_previous(best, keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.1.pt"]
    assert load_checkpoint(tmp_path / "best.1.pt")["meta"]["value"] == 3.0
