"""A ``--resume`` that fails on one process of a distributed run fails on all of them with the
same one-line message: a damaged ``last.pt`` that rank 0 cannot move aside (a read-only work
dir) must not leave rank 1 waiting for rank 0 at the next collective."""

from __future__ import annotations

import textwrap

from tiny_resumable_checkpoint import save_tiny_resumable
from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    import torch
    import torch.distributed as torch_dist
    from torch import nn

    from detseg.config.schema import TrainConfig
    from detseg.engine.checkpointing import CheckpointError, rotation
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.solver.schedules import scheduler_from_config
    from detseg.engine.training.run_start import resume_run
    from detseg.engine.training.run_state import RunState

    def read_only(path):  # the work dir does not allow renames
        raise PermissionError(13, "Permission denied")

    rotation.set_aside = read_only
    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    train = TrainConfig(batch_size=2, epochs=2, warmup_iters=0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    run = SimpleNamespace(
        work_dir=Path(sys.argv[0]).parent,
        dist=DistInfo(rank=rank, world_size=2),
        model=model,
        optimizer=optimizer,
        scheduler=scheduler_from_config(optimizer, train, 4),
        scaler=torch.amp.GradScaler("cpu", enabled=False),
        ema=None,
        cfg=SimpleNamespace(seed=0, train=train),
        data=SimpleNamespace(train_loader=range(4)),
        state=RunState(),
        score_key="AP",
    )
    try:
        resume_run(run)
        print("error none")
    except CheckpointError as err:
        print("error", err)
    torch_dist.destroy_process_group()
    """
)


def _save_good_copy(path) -> None:
    """A resumable ``last.1.pt`` of the worker's run."""
    save_tiny_resumable(path)


def test_every_process_fails_with_rank_0s_message(tmp_path):
    _save_good_copy(tmp_path / "last.1.pt")
    (tmp_path / "last.pt").write_bytes(b"cut short")
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    errors = [out.split("error ")[-1].strip() for out in outputs]
    assert errors[0] == errors[1]
    assert errors[0].startswith(f"cannot move the unreadable {tmp_path / 'last.pt'} aside")
    assert "\n" not in errors[0]
