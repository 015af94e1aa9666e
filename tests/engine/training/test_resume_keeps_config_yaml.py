"""A resumed run rewrites the work dir's ``config.yaml`` only once ``last.pt`` is loaded: a
resume refused by :func:`resume_run` (another EMA setting, a fallback copy of another model,
missing entries) leaves the run's own ``config.yaml``, which its message says to resume with.
The file is written atomically: a write killed midway leaves the previous one whole."""

from __future__ import annotations

import contextlib
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.config import load_config
from detseg.engine.checkpointing import CheckpointError, save_checkpoint
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import run_start
from detseg.engine.training.run_start import prepare_work_dir, resume_run, write_config

REPO = Path(__file__).resolve().parents[3]
RUN_CONFIG = "the run's own config\n"


def _run(work_dir) -> SimpleNamespace:
    model = nn.Linear(2, 2)
    return SimpleNamespace(
        work_dir=work_dir,
        dist=DistInfo(),
        model=model,
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1),
        ema=None,
        cfg=SimpleNamespace(
            train=SimpleNamespace(keep_checkpoints=1), to_dict=lambda: {"changed": True}
        ),
    )


def test_a_refused_resume_leaves_the_runs_config_yaml(tmp_path):
    (tmp_path / "config.yaml").write_text(RUN_CONFIG)
    other = {"model": {"w": torch.zeros(3)}, "config": {}, "classes": ["a"], "meta": {}}
    save_checkpoint(tmp_path / "last.pt", other)  # weights of another model
    run = _run(tmp_path)
    prepare_work_dir(run, resume=True)
    with pytest.raises(CheckpointError, match="config.yaml"):
        resume_run(run)
    assert (tmp_path / "config.yaml").read_text() == RUN_CONFIG


def test_the_config_is_written_for_a_new_run_and_after_a_resume(tmp_path):
    run = _run(tmp_path)
    prepare_work_dir(run, resume=False)
    assert (tmp_path / "config.yaml").read_text() == "changed: true\n"
    (tmp_path / "config.yaml").write_text(RUN_CONFIG)
    write_config(run)  # what a resumed run does once last.pt is loaded
    assert (tmp_path / "config.yaml").read_text() == "changed: true\n"


def test_a_write_killed_midway_leaves_the_previous_config_yaml_whole(tmp_path, monkeypatch):
    (tmp_path / "config.yaml").write_text(RUN_CONFIG)
    real = run_start.written_atomically

    @contextlib.contextmanager
    def killed_after_the_temp_file(path):
        with real(path) as partial:
            yield partial
            assert partial.read_text() == "changed: true\n"  # the block wrote the temp file
            raise KeyboardInterrupt  # (a signal) before the temp file replaces the file

    monkeypatch.setattr(run_start, "written_atomically", killed_after_the_temp_file)
    with pytest.raises(KeyboardInterrupt):
        write_config(_run(tmp_path))
    assert (tmp_path / "config.yaml").read_text() == RUN_CONFIG
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]  # no temp file left


def test_a_temp_file_of_a_killed_config_write_is_removed(tmp_path):
    (tmp_path / ".config.yaml.ab12_x.tmp").write_text("changed: tr")
    prepare_work_dir(_run(tmp_path), resume=False)
    assert [p.name for p in tmp_path.iterdir()] == ["config.yaml"]


def test_the_config_yaml_keeps_unicode_as_written_and_loads_again(tmp_path):
    """A class name or path such as ``carré`` is written in plain UTF-8 (not ``carr\\xE9``), and
    the file loads back to the same config (what ``--resume`` with it reads)."""
    cfg = load_config(
        REPO / "configs" / "demo.yaml",
        ["data.root=données/carré", "data.format=yolo", "data.classes=[carré, 東京]"],
    )
    run = _run(tmp_path)
    run.cfg = cfg
    write_config(run)
    text = (tmp_path / "config.yaml").read_text(encoding="utf-8")
    assert "root: données/carré" in text and "- carré\n" in text and "- 東京\n" in text
    assert "\\x" not in text and "\\u" not in text
    assert load_config(tmp_path / "config.yaml").to_dict() == cfg.to_dict()
