"""``model.init_from`` in a run of several processes: rank 0 alone logs what was read, loaded,
re-initialised and ignored (every process loads the weights)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
import torch
from tiny_detector import SMALL_HEADS, tiny_faster_rcnn

from detseg.config import load_config
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.model_setup import build_run_model, device_settings

DEMO = Path(__file__).resolve().parents[3] / "configs" / "demo.yaml"
CLASSES = ["circle", "square"]


def _build(extra: list[str], dist: DistInfo) -> torch.nn.Module:
    cfg = load_config(DEMO, [*tiny_faster_rcnn(), *SMALL_HEADS, "device=cpu", *extra])
    device = torch.device("cpu")
    settings = device_settings(cfg, device)
    return build_run_model(
        cfg, len(CLASSES), "detection", device, dist, settings=settings, classes=CLASSES
    )


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory) -> Path:
    """A run's folder whose ``best.pt`` holds a model of the same classes."""
    folder = tmp_path_factory.mktemp("init_run")
    model = _build([], DistInfo())
    torch.save({"model": model.state_dict(), "config": {}, "classes": CLASSES}, folder / "best.pt")
    return folder


def _init_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if "model.init_from" in r.getMessage()]


def test_rank_0_logs_what_init_from_read_and_loaded(run_folder, caplog):
    with caplog.at_level(logging.INFO):
        _build([f"model.init_from={run_folder}"], DistInfo(rank=0, world_size=2))
    lines = _init_lines(caplog)
    assert lines[0].startswith(f"model.init_from {run_folder}: reading {run_folder / 'best.pt'}")
    assert lines[1].startswith(f"model.init_from {run_folder} (detseg state dict): loaded ")


def test_another_rank_loads_the_weights_without_a_line(run_folder, caplog):
    with caplog.at_level(logging.INFO):
        model = _build([f"model.init_from={run_folder}"], DistInfo(rank=1, world_size=2))
    assert _init_lines(caplog) == []
    saved = torch.load(run_folder / "best.pt", weights_only=True)["model"]
    assert all(torch.equal(saved[k], v) for k, v in model.state_dict().items())
