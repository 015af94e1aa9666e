"""``model.init_from: runs/x``: a run folder gives its ``best.pt``, else its ``last.pt``, as
``detseg.load`` reads it (one rule, :mod:`detseg.run_folders`), with a log line naming the file;
a folder without either is one line naming it and what to give."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn

from detseg.convert.init_weights import INIT_SOURCES, init_source_state, load_init_weights


def _write(path, fill: float) -> None:
    """A detseg checkpoint of a ``Linear(2, 3)`` whose tensors all hold ``fill``."""
    layer = nn.Linear(2, 3)
    nn.init.constant_(layer.weight, fill)
    nn.init.constant_(layer.bias, fill)
    torch.save({"model": layer.state_dict(), "config": {}, "classes": ["a", "b"]}, path)


def _read(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "reading" in r.getMessage()]


def test_a_run_folder_gives_its_best_checkpoint(tmp_path, caplog):
    run = tmp_path / "demo"
    run.mkdir()
    _write(run / "best.pt", 1.0)
    _write(run / "last.pt", 2.0)
    model = nn.Linear(2, 3)
    with caplog.at_level(logging.INFO, logger="detseg.convert.init_weights"):
        report = load_init_weights(model, str(run))
    assert report.source == str(run) and sorted(report.loaded) == ["bias", "weight"]
    assert torch.all(model.weight == 1.0) and torch.all(model.bias == 1.0)
    assert report.source_classes == ["a", "b"]
    assert _read(caplog) == [
        f"model.init_from {run}: reading {run / 'best.pt'} (a run folder; its best checkpoint)"
    ]


def test_a_run_folder_without_best_gives_its_last_checkpoint(tmp_path, caplog):
    _write(tmp_path / "last.pt", 2.0)
    with caplog.at_level(logging.INFO, logger="detseg.convert.init_weights"):
        state, origin = init_source_state(str(tmp_path))
    assert origin == "detseg state dict" and torch.all(state["weight"] == 2.0)
    assert _read(caplog) == [
        f"model.init_from {tmp_path}: reading {tmp_path / 'last.pt'} (a run folder; it has no "
        "best.pt)"
    ]


def test_a_folder_without_checkpoints_names_it_and_what_to_give(tmp_path):
    _write(tmp_path / "epoch_3.pt", 3.0)
    with pytest.raises(ValueError) as info:
        init_source_state(str(tmp_path))
    assert str(info.value) == (
        f"model.init_from: {tmp_path} is a folder without best.pt or last.pt (it holds "
        f"epoch_3.pt); give {INIT_SOURCES}"
    )
