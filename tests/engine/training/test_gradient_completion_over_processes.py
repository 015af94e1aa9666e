"""The gradients of a group whose synchronising batch was left out on every process (all its
images unreadable somewhere, see ``test_unreadable_batches_in_groups.py``) are averaged over
the processes by the step itself: in one all-reduce of the flattened gradients per dtype, not
one per parameter (about 160 for an R50-FPN), with the same result as an all-reduce of each
gradient, a parameter without a gradient on one process included (zeros there, as DDP)."""

from __future__ import annotations

import textwrap

from two_processes import run_two_processes

_WORKER = textwrap.dedent(
    """
    from types import SimpleNamespace

    import torch
    import torch.distributed as torch_dist
    from torch import nn

    from detseg.engine.runtime.distributed import DistInfo
    from detseg.engine.training.accumulation import AccumulationGroup
    from detseg.engine.training.optimizer_step import _complete_gradients

    torch_dist.init_process_group("gloo")
    rank = torch_dist.get_rank()
    dist = DistInfo(rank=rank, world_size=2)

    model = nn.Module()
    model.a = nn.Parameter(torch.zeros(3, 4))
    model.b = nn.Parameter(torch.zeros(5))
    model.c = nn.Parameter(torch.zeros(2, 2))  # a gradient on rank 0 only
    model.d = nn.Parameter(torch.zeros(7, dtype=torch.float64))
    model.e = nn.Parameter(torch.zeros(4, 3).t())
    model.frozen = nn.Parameter(torch.zeros(3), requires_grad=False)
    model.unused = nn.Parameter(torch.zeros(2))  # no gradient anywhere
    generator = torch.Generator().manual_seed(rank)
    for name in ("a", "b", "c", "d", "e"):
        param = getattr(model, name)
        if name != "c" or rank == 0:
            param.grad = torch.randn(param.shape, generator=generator, dtype=param.dtype)
    model.e.grad = model.e.grad.t().contiguous().t()  # a gradient that is not contiguous

    # what every gradient should be: an all-reduce of each, a missing one as zeros
    expected = {}
    for name, param in model.named_parameters():
        if not param.requires_grad or name == "unused":
            continue
        grad = torch.zeros_like(param) if param.grad is None else param.grad.clone()
        torch_dist.all_reduce(grad)
        expected[name] = grad / 2 * (2 / 1)  # the mean over the processes, of a group of 1 of 2

    calls = []
    original = torch_dist.all_reduce
    def recorded(tensor, *args, **kwargs):
        calls.append(tuple(tensor.shape))
        return original(tensor, *args, **kwargs)
    torch_dist.all_reduce = recorded

    setup = SimpleNamespace(model=model, train_model=SimpleNamespace(no_sync=None), dist=dist)
    _complete_gradients(setup, AccumulationGroup(batches=1, length=2, synced=False))
    same = all(
        torch.equal(param.grad, expected[name])
        for name, param in model.named_parameters()
        if name in expected
    )
    missing = [name for name, param in model.named_parameters() if param.grad is None]
    print("same", same, "missing", missing, "all_reduce", calls)
    torch_dist.destroy_process_group()
    """
)


def test_the_gradients_are_averaged_in_one_all_reduce_per_dtype(tmp_path):
    outputs = run_two_processes(_WORKER, tmp_path, timeout=240)
    lines = [out.strip() for out in outputs]
    assert lines[0] == lines[1]
    # the flags of which gradients exist (6 trainable parameters), then one flat float32
    # buffer (a 12 + b 5 + c 4 + e 12) and one float64 (d 7)
    assert lines[0] == "same True missing ['frozen', 'unused'] all_reduce [(6,), (33,), (7,)]"
