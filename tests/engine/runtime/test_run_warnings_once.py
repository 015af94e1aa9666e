"""A warning that every process of a distributed run would give is logged by rank 0 only
(the other ranks log warnings too, so it would otherwise appear once per process)."""

from __future__ import annotations

import logging

import pytest
import torch
from torch import nn
from torchvision.ops import FrozenBatchNorm2d

from detseg.engine.runtime.distributed import DistInfo, convert_sync_batchnorm


@pytest.mark.parametrize("rank", [0, 1])
def test_sync_bn_without_trainable_batchnorm_warns_on_rank_zero_only(
    rank: int, caplog: pytest.LogCaptureFixture
) -> None:
    model = nn.Sequential(nn.Conv2d(3, 4, 3), FrozenBatchNorm2d(4))
    dist = DistInfo(rank=rank, world_size=2, local_rank=rank)
    with caplog.at_level(logging.WARNING):
        assert convert_sync_batchnorm(model, dist, torch.device("cpu"), enabled=True) is model
    messages = [r.getMessage() for r in caplog.records]
    if rank == 0:
        assert len(messages) == 1 and "no trainable BatchNorm layer" in messages[0]
    else:
        assert messages == []
