"""The validation loss of a distributed run has every loss term even when one process's shard
had no readable image (its accumulator has no names): the names are the union over the
processes, not rank 0's."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    import torch
    import torch.distributed as torch_dist

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.validation.sharded import _Accumulator, _mean_losses

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    acc = _Accumulator(None)
    if rank == 1:  # rank 0's images were all unreadable: nothing accumulated there
        acc.images = 2
        acc.add_losses({"loss_a": torch.tensor(3.0), "loss_b": torch.tensor(1.0)}, 2)
    losses = _mean_losses(acc, DistInfo(rank=rank, world_size=2))
    print("losses", sorted(losses.items()))
    torch_dist.destroy_process_group()
    """
)


def test_every_process_gets_the_terms_of_the_shards_that_had_images(tmp_path):
    expected = "[('loss', 4.0), ('loss_a', 3.0), ('loss_b', 1.0)]"
    for out in run_two_processes(_WORKER, tmp_path):
        assert out.split("losses ")[-1].strip() == expected
