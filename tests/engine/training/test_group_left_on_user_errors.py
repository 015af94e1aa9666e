"""A user error that every process of a distributed run raises (bad data, a failed write)
leaves the process group before it propagates: a process that exits with the group's threads
still running may be aborted at exit (``terminate called without an active exception``,
SIGABRT) instead of ending with the error's exit code. A lost process is the exception: leaving
would wait for it."""

from __future__ import annotations

import pytest

from detseg.config import load_config
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training import trainer


@pytest.mark.parametrize("error", [ValueError("data.root 'x' is not a folder"), OSError("disk")])
def test_a_user_error_leaves_the_group(monkeypatch, tmp_path, error):
    dist = DistInfo(rank=0, world_size=2, local_rank=0)
    left: list[DistInfo] = []
    monkeypatch.setattr(trainer, "init_distributed", lambda device: (dist, "cpu"))
    monkeypatch.setattr(trainer, "destroy_distributed", left.append)

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(trainer, "_train", fails)
    with pytest.raises(type(error)):
        trainer.train(load_config("configs/demo.yaml", ["device=cpu"]), tmp_path / "run")
    assert left == [dist]
