"""A step of a distributed run's start that one process takes on its own and that raises
there (any error, not only a ``CheckpointError``) fails every process with the same one line:
no process goes on to wait for the failed one at the next collective. Here rank 1's random
state in ``last.pt`` is damaged (a ``KeyError`` on rank 1 only), then rank 0 cannot turn the
config into YAML for ``config.yaml`` (only rank 0 writes it)."""

from __future__ import annotations

import textwrap

from tiny_resumable_checkpoint import save_tiny_resumable
from two_processes import run_two_processes

from detseg.engine.checkpointing.random_states import rng_state

_WORKER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from types import SimpleNamespace

    import torch
    import torch.distributed as torch_dist
    from torch import nn

    from detseg.config.schema import TrainConfig
    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.solver.schedules import scheduler_from_config
    from detseg.engine.training.run_start import resume_run, write_config
    from detseg.engine.training.run_state import RunState

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
        cfg=SimpleNamespace(seed=0, train=train, to_dict=lambda: {"x": object()}),
        data=SimpleNamespace(train_loader=range(4)),
        state=RunState(),
        score_key="AP",
    )
    for step in (resume_run, write_config):
        try:
            step(run)
            print("error none")
        except Exception as err:
            print("error", type(err).__name__, " ".join(str(err).split()))
    torch_dist.destroy_process_group()
    """
)


def _save_last(path) -> None:
    """A ``last.pt`` of the worker's run whose random state of rank 1 is damaged."""
    save_tiny_resumable(path, rng_ranks=[rng_state(), {}])


def test_every_process_fails_with_the_same_line(tmp_path):
    _save_last(tmp_path / "last.pt")
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    lines = [out.strip().splitlines() for out in outputs]
    assert lines[0] == lines[1]
    resumed, config = lines[0]
    assert resumed == "error CheckpointError process 1 of 2 failed with KeyError: 'python' " + (
        "(DETSEG_TRACEBACK=1 shows where)"
    )
    assert config.startswith("error WorkDirError process 0 of 2 failed with RepresenterError")
