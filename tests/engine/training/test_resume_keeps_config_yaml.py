"""A resumed run rewrites the work dir's ``config.yaml`` only once ``last.pt`` is loaded: a
resume refused by :func:`resume_run` (another EMA setting, a fallback copy of another model,
missing entries) leaves the run's own ``config.yaml``, which its message says to resume with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch
from torch import nn

from detseg.engine.checkpointing import CheckpointError, save_checkpoint
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.run_start import prepare_work_dir, resume_run, write_config

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
