"""A kill after a rotation's link replaced ``last.1.pt`` but before the new ``last.pt`` was
written leaves the two names one file; the next :func:`save_rotating` keeps the older copy
and leaves no temporary link behind."""

from __future__ import annotations

import os

import torch

from detseg.engine.checkpointing import load_checkpoint, save_rotating


def _state(value: float) -> dict:
    return {"model": {"w": torch.tensor([value])}, "config": {}, "classes": ["a"], "meta": {}}


def _value(path) -> float:
    return float(load_checkpoint(path)["model"]["w"])


def test_a_last_1_pt_linked_to_last_pt_leaves_no_temporary_link(tmp_path):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0):
        save_rotating(path, _state(value), keep=1)
    os.unlink(tmp_path / "last.1.pt")
    os.link(path, tmp_path / "last.1.pt")  # killed between the link's rename and the write
    save_rotating(path, _state(3.0), keep=1)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.1.pt", "last.pt"]
    assert (_value(path), _value(tmp_path / "last.1.pt")) == (3.0, 2.0)
    assert not os.path.samefile(path, tmp_path / "last.1.pt")
    save_rotating(path, _state(4.0), keep=1)
    assert (_value(path), _value(tmp_path / "last.1.pt")) == (4.0, 3.0)


def test_with_more_copies_the_linked_one_shifts_and_no_link_is_left(tmp_path):
    path = tmp_path / "last.pt"
    for value in (1.0, 2.0, 3.0):
        save_rotating(path, _state(value), keep=2)
    os.unlink(tmp_path / "last.1.pt")
    os.link(path, tmp_path / "last.1.pt")
    save_rotating(path, _state(4.0), keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.1.pt", "last.2.pt", "last.pt"]
    assert [_value(tmp_path / n) for n in ("last.pt", "last.1.pt", "last.2.pt")] == [4.0, 3.0, 3.0]
