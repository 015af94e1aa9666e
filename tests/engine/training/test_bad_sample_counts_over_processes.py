"""The unreadable images and dropped boxes of a distributed epoch are the run's, summed over
the processes (each counts those of its own shard): a corrupt image that only rank 1 reads is
in the epoch record and the summary."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.loop_results import EpochStats
    from detseg.engine.training.epoch_training import _count_over_processes

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    stats = EpochStats(skipped_images=1 if rank == 1 else 0, dropped_boxes=3 + rank)
    _count_over_processes(stats, DistInfo(rank=rank, world_size=2))
    print("counts", stats.skipped_images, stats.dropped_boxes)
    torch_dist.destroy_process_group()
    """
)


def test_each_process_reports_the_counts_of_every_shard(tmp_path):
    for out in run_two_processes(_WORKER, tmp_path):
        assert out.split("counts ")[-1].split() == ["1", "7"]
