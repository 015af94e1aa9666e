"""Gradient accumulation with a batch whose images were all unreadable.

Such a batch is left out of its group (on every process). The group's step must still use the
mean gradient of the batches that ran, as a group without a missing batch does; and under DDP,
where the batch left out is the group's last one (the one whose backward all-reduces), the
replicas must still step with the same, averaged gradient.
"""

from __future__ import annotations

import textwrap

import pytest
import torch
from fake_batches import FakeBatch, LinearModel
from two_processes import run_two_processes

from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch


def _image(value: float) -> FakeBatch:
    return FakeBatch([torch.full((3, 2, 2), value)])


def _unreadable() -> FakeBatch:
    return FakeBatch([], skipped_images=1)


def _train(batches: list[FakeBatch], accumulate: int) -> float:
    model = LinearModel()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    settings = StepSettings(accumulate=accumulate)
    train_one_epoch(model, batches, optimizer, scheduler, torch.device("cpu"), settings=settings)
    return model.w.item()


@pytest.mark.parametrize("where", [0, 1, 2])
def test_a_group_with_an_unreadable_batch_steps_with_the_mean_of_the_others(where):
    batches = [_image(1.0), _image(2.0)]
    batches.insert(where, _unreadable())
    # the two readable batches as one group of two: grad = (-2 * 1 - 2 * 2) / 2 = -3
    assert _train(batches, accumulate=3) == pytest.approx(0.05 * 3.0)
    assert _train([_image(1.0), _image(2.0)], accumulate=2) == pytest.approx(0.05 * 3.0)


def test_a_last_short_group_with_an_unreadable_batch():
    # groups [1, 2] and [unreadable, 3]: the second steps on x = 3 alone
    w1 = 0.05 * 3.0
    expected = w1 - 0.05 * 2 * 3.0 * (w1 * 3.0 - 1.0)
    assert _train([_image(1.0), _image(2.0), _unreadable(), _image(3.0)], 2) == pytest.approx(
        expected
    )


_WORKER = textwrap.dedent(
    """
    import sys
    from dataclasses import dataclass, field

    import torch
    import torch.distributed as torch_dist
    from torch import nn

    from detseg.engine.runtime.distributed import DistInfo, wrap_for_training
    from detseg.engine.solver import build_scheduler
    from detseg.engine.training import StepSettings, train_one_epoch


    @dataclass
    class Batch:
        images: list
        targets: list = field(default_factory=list)
        skipped_images: int = 0
        dropped_boxes: int = 0


    class Linear(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.zeros(()))

        def losses(self, images, targets):
            x = torch.stack([image.mean() for image in images])
            return {"loss_a": ((self.w * x - 1.0) ** 2).mean()}


    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    dist = DistInfo(rank=rank, world_size=2)
    model = Linear()
    train_model = wrap_for_training(model, dist, torch.device("cpu"))
    first = Batch([torch.full((3, 2, 2), 1.0 + rank)])  # x = 1 on rank 0, 2 on rank 1
    # the group's last batch: unreadable on rank 1, so left out on both
    last = Batch([torch.full((3, 2, 2), 5.0)]) if rank == 0 else Batch([], skipped_images=1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=10, total_iters=10)
    train_one_epoch(
        model, [first, last], optimizer, scheduler, torch.device("cpu"),
        settings=StepSettings(accumulate=2), train_model=train_model, dist=dist,
    )
    print("w", repr(model.w.item()))
    torch_dist.destroy_process_group()
    """
)


def test_ddp_replicas_agree_when_the_synchronising_batch_is_left_out(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path)
    weights = [float(out.split("w ")[-1]) for out in outputs]
    # DDP's mean of the two processes' gradients: (-2 * 1 - 2 * 2) / 2 = -3 -> w = 0.15
    assert weights == pytest.approx([0.15, 0.15])
