"""The unreadable images and dropped boxes of a distributed epoch are the run's, summed over
the processes (each counts those of its own shard): a corrupt image that only rank 1 reads is
in the epoch record and the summary."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.train_loop import EpochStats
    from detseg.engine.training.trainer import _count_over_processes

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    stats = EpochStats(skipped_images=1 if rank == 1 else 0, dropped_boxes=3 + rank)
    _count_over_processes(stats, DistInfo(rank=rank, world_size=2))
    print("counts", stats.skipped_images, stats.dropped_boxes)
    torch_dist.destroy_process_group()
    """
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_each_process_reports_the_counts_of_every_shard(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(_WORKER)
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    env.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(_free_port()), WORLD_SIZE="2")
    procs = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env={**env, "RANK": str(rank), "LOCAL_RANK": str(rank)},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=REPO,
        )
        for rank in range(2)
    ]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert out.split("counts ")[-1].split() == ["1", "7"]
