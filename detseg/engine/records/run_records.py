"""Everything a run writes besides checkpoints: ``metrics.jsonl``, TensorBoard, per-rank records.

Rank 0 writes ``metrics.jsonl`` and ``tb/``; the other processes of a distributed run write
nothing, except with ``train.debug_ranks``: then every process appends the image ids of each
of its steps and the checkpoints it wrote to ``ranks/rank<r>.jsonl`` and saves its final
weights to ``ranks/rank<r>_final.pt`` (a way to check that the shards are disjoint, that the
replicas stay identical and that only rank 0 writes checkpoints).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import nn

from detseg.engine.records.metric_log import MetricLogger
from detseg.engine.records.tensorboard_log import TensorBoardLogger
from detseg.engine.runtime.distributed import DistInfo

logger = logging.getLogger(__name__)


class RunRecords:
    """The run's log files, opened by :meth:`open` and closed by :meth:`close`.

    Args:
        work_dir: the run's folder.
        dist: this process's place in the run.
        tensorboard: write ``tb/`` (rank 0).
        debug_ranks: write ``ranks/`` (every process).

    Attributes:
        metrics: the ``metrics.jsonl`` writer (rank 0), else ``None``.
        tb: the TensorBoard writer (rank 0 with ``tensorboard``), else ``None``.
    """

    def __init__(self, work_dir: Path, dist: DistInfo, tensorboard: bool, debug_ranks: bool):
        self.work_dir = Path(work_dir)
        self.dist = dist
        self.metrics: MetricLogger | None = None
        self.tb: TensorBoardLogger | None = None
        self._ranks: TextIO | None = None
        self._want_tb = tensorboard and dist.is_main
        self._want_ranks = debug_ranks

    def open(self) -> RunRecords:
        if self.dist.is_main:
            self.metrics = MetricLogger(self.work_dir / "metrics.jsonl")
        if self._want_tb:
            self.tb = TensorBoardLogger(self.work_dir / "tb")
        if self._want_ranks:
            folder = self.work_dir / "ranks"
            folder.mkdir(parents=True, exist_ok=True)
            self._ranks = (folder / f"rank{self.dist.rank}.jsonl").open("a", encoding="utf-8")
        return self

    def close(self) -> None:
        if self.metrics is not None:
            self.metrics.close()
        if self.tb is not None:
            self.tb.close()
        if self._ranks is not None:
            self._ranks.close()
        self.metrics = self.tb = self._ranks = None

    def __enter__(self) -> RunRecords:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def log(self, record: dict[str, Any]) -> None:
        """A ``metrics.jsonl`` record (rank 0)."""
        if self.metrics is not None:
            self.metrics.log(record)

    def scalars(self, prefix: str, values: dict[str, Any], step: int) -> None:
        """TensorBoard scalars (rank 0, when on)."""
        if self.tb is not None:
            self.tb.scalars(prefix, values, step)

    def rank_event(self, record: dict[str, Any]) -> None:
        """A ``ranks/rank<r>.jsonl`` record (``train.debug_ranks`` only)."""
        if self._ranks is not None:
            self._ranks.write(json.dumps(record) + "\n")
            self._ranks.flush()

    def rank_final_weights(self, model: nn.Module) -> None:
        """Save this process's final weights (``train.debug_ranks`` only)."""
        if self._want_ranks:
            path = self.work_dir / "ranks" / f"rank{self.dist.rank}_final.pt"
            torch.save(model.state_dict(), path)
