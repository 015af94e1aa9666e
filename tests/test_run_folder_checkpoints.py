"""``detseg.run_folders.checkpoint_of``: the file that a checkpoint argument of ``tools/eval.py``
and ``tools/export.py`` (and :func:`detseg.export.export_model`) stands for: a file as given, a
run folder's ``best.pt``, else its ``last.pt``, with a log line naming the file and why."""

from __future__ import annotations

import logging

import pytest

from detseg.run_folders import checkpoint_of
from detseg.torch_files import CheckpointError


def test_a_file_or_a_missing_path_comes_back_as_given(tmp_path, caplog):
    (tmp_path / "model.pt").write_bytes(b"x")
    with caplog.at_level(logging.INFO, logger="detseg.run_folders"):
        assert checkpoint_of(tmp_path / "model.pt", "evaluating") == tmp_path / "model.pt"
        assert checkpoint_of(str(tmp_path / "nothing"), "evaluating") == tmp_path / "nothing"
    assert caplog.records == []


def test_a_run_folder_stands_for_its_best_pt_else_its_last_pt(tmp_path, caplog):
    (tmp_path / "last.pt").write_bytes(b"x")
    with caplog.at_level(logging.INFO, logger="detseg.run_folders"):
        assert checkpoint_of(tmp_path, "exporting") == tmp_path / "last.pt"
        (tmp_path / "best.pt").write_bytes(b"x")
        assert checkpoint_of(str(tmp_path), "evaluating") == tmp_path / "best.pt"
    assert [r.getMessage() for r in caplog.records] == [
        f"exporting {tmp_path / 'last.pt'} ({tmp_path} is a run folder; it has no best.pt)",
        f"evaluating {tmp_path / 'best.pt'} ({tmp_path} is a run folder; its best checkpoint)",
    ]


def test_a_folder_without_checkpoints_is_refused_naming_its_pt_files(tmp_path):
    (tmp_path / "epoch_3.pt").write_bytes(b"x")
    with pytest.raises(CheckpointError) as info:
        checkpoint_of(tmp_path, "evaluating")
    assert str(info.value) == (
        f"{tmp_path} is a folder without best.pt or last.pt (it holds epoch_3.pt); give a "
        "best.pt / last.pt written by detseg-train (tools/train.py), or the run folder holding it"
    )
