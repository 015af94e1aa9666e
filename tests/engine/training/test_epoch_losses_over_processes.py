"""The logged train losses of a distributed run are the run's, not rank 0's alone: the mean
losses of an epoch (its ``epoch`` record) and the loss terms of a logged step (``train``
records, TensorBoard; one gather on the logged steps only) are averaged over the processes,
whose batches gave different losses."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_EPOCH_WORKER = textwrap.dedent(
    """
    import torch.distributed as torch_dist

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.loop_results import EpochStats
    from detseg.engine.training.epoch_training import _count_over_processes

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    stats = EpochStats(losses={"loss_a": 1.0 + 2 * rank, "loss": 4.0 + 4 * rank})
    _count_over_processes(stats, DistInfo(rank=rank, world_size=2))
    print("losses", stats.losses["loss_a"], stats.losses["loss"])
    torch_dist.destroy_process_group()
    """
)

_STEP_WORKER = textwrap.dedent(
    """
    from dataclasses import dataclass, field

    import torch
    import torch.distributed as torch_dist
    from torch import nn

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.solver import build_scheduler
    from detseg.engine.training import StepSettings, train_one_epoch


    @dataclass
    class Batch:
        images: list
        targets: list = field(default_factory=list)
        skipped_images: int = 0
        dropped_boxes: int = 0


    class Square(nn.Module):
        # loss = (w - x)^2 with x = the image's mean: 1 on rank 0, 4 on rank 1 (w = 0, lr 0)
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def losses(self, images, targets):
            return {"loss_a": (self.w - images[0].mean()) ** 2}


    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    model = Square()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=2, total_iters=2)
    batches = [Batch([torch.full((3, 2, 2), 1.0 + rank)]) for _ in range(2)]
    logged = []
    stats = train_one_epoch(
        model, batches, optimizer, scheduler, torch.device("cpu"),
        settings=StepSettings(log_every=2), dist=DistInfo(rank=rank, world_size=2),
        after_step=lambda info: logged.append(info.terms["loss"]),
    )
    print("steps", *logged, "epoch", stats.losses["loss"])
    torch_dist.destroy_process_group()
    """
)


def test_each_process_reports_the_epoch_mean_over_every_shard(tmp_path):
    for out in run_two_processes(_EPOCH_WORKER, tmp_path):
        assert out.split("losses ")[-1].split() == ["2.0", "6.0"]


def test_a_logged_step_reports_the_mean_over_the_processes(tmp_path):
    outputs = run_two_processes(_STEP_WORKER, tmp_path)
    # step 0 is not logged (log_every=2): its own loss; step 1 is: the mean of 1 and 4; the
    # call's epoch mean stays the process's own (the trainer averages it once, at the epoch end)
    assert outputs[0].split("steps ")[-1].split() == ["1.0", "2.5", "epoch", "1.0"]
    assert outputs[1].split("steps ")[-1].split() == ["4.0", "2.5", "epoch", "4.0"]
