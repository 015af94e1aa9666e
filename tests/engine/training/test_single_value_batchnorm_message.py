"""BatchNorm in training mode refuses one value per channel (a batch of one image whose feature
map shrank to 1 x 1) with an error that names a tensor size only; the training step adds what
to do."""

from __future__ import annotations

import pytest
import torch
from fake_batches import FakeBatch
from torch import nn

from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch


class _PooledNorm(nn.Module):
    """Global pooling then BatchNorm: one image gives one value per channel."""

    def __init__(self) -> None:
        super().__init__()
        self.norm = nn.BatchNorm1d(3)

    def losses(self, images, targets):
        pooled = torch.stack([image.mean(dim=(1, 2)) for image in images])  # [B, 3]
        return {"loss_a": self.norm(pooled).square().mean()}


def _train(batch_size: int) -> None:
    model = _PooledNorm()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=1, total_iters=1)
    batch = FakeBatch([torch.rand(3, 4, 4) for _ in range(batch_size)])
    train_one_epoch(
        model, [batch], optimizer, scheduler, torch.device("cpu"), settings=StepSettings()
    )


def test_one_image_batch_says_what_to_do():
    with pytest.raises(ValueError, match="use train.batch_size >= 2, larger images") as info:
        _train(1)
    assert str(info.value).startswith("Expected more than 1 value per channel when training")
    _train(2)  # two values per channel: trains
