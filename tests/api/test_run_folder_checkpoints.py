"""``detseg.load("runs/demo")``: a run folder loads its ``best.pt``, else its ``last.pt``, with a
log line naming the file; a folder holding neither is one line naming the folder."""

from __future__ import annotations

import logging
import shutil

import pytest

import detseg
from detseg.engine.checkpointing import CheckpointError


def _loaded(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("loading ")]


def test_a_run_folder_loads_its_best_checkpoint(detector_checkpoint, tmp_path, caplog):
    run = tmp_path / "demo"
    run.mkdir()
    shutil.copy(detector_checkpoint, run / "best.pt")
    (run / "last.pt").write_bytes(b"not read: best.pt comes first")
    with caplog.at_level(logging.INFO, logger="detseg.api.predictor"):
        predictor = detseg.load(run, device="cpu")
    assert predictor.task == "detection"
    assert predictor.checkpoint == run / "best.pt"
    assert _loaded(caplog) == [
        f"loading {run / 'best.pt'} ({run} is a run folder; its best checkpoint)"
    ]


def test_a_run_folder_without_best_loads_last_and_says_so(detector_checkpoint, tmp_path, caplog):
    shutil.copy(detector_checkpoint, tmp_path / "last.pt")
    with caplog.at_level(logging.INFO, logger="detseg.api.predictor"):
        predictor = detseg.load(str(tmp_path), device="cpu")
    assert predictor.checkpoint == tmp_path / "last.pt"
    assert detseg.load(tmp_path / "last.pt", device="cpu").checkpoint == tmp_path / "last.pt"
    assert _loaded(caplog) == [
        f"loading {tmp_path / 'last.pt'} ({tmp_path} is a run folder; it has no best.pt)"
    ]


def test_a_folder_without_checkpoints_is_one_line(tmp_path):
    (tmp_path / "epoch_3.pt").write_bytes(b"")
    message = f"{tmp_path} is a folder without best.pt or last.pt (it holds epoch_3.pt); give"
    with pytest.raises(CheckpointError, match=message.replace("(", r"\(").replace(")", r"\)")):
        detseg.load(tmp_path, device="cpu")
