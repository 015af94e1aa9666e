"""A resumable checkpoint of the 2-process workers' tiny run (``nn.Linear(2, 2)``, SGD, batch 2,
2 epochs, saved after epoch 1 at iteration 4, ``world_size`` 2): for the tests that resume it
in two gloo processes (:mod:`two_processes`)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import torch
from torch import nn

from detseg.config.schema import TrainConfig
from detseg.engine.checkpointing import save_checkpoint, training_state
from detseg.engine.solver.schedules import scheduler_from_config
from detseg.engine.training.run_state import RunState


def save_tiny_resumable(path: Path, **extra: Any) -> None:
    """Write the checkpoint at ``path``, with ``extra`` entries added (e.g. ``rng_ranks``)."""
    train = TrainConfig(batch_size=2, epochs=2, warmup_iters=0)
    model = nn.Linear(2, 2)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = scheduler_from_config(optimizer, train, 4)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    save_checkpoint(
        path,
        {
            "model": model.state_dict(),
            "config": {"train": dataclasses.asdict(train)},
            "classes": ["a"],
            "meta": RunState(epoch=1, iteration=4).meta(None),
            **training_state(optimizer, scheduler, scaler),
            "world_size": 2,
            **extra,
        },
    )
