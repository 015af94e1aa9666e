"""A stand-in for the loader's detection ``Batch`` in the training-loop tests: the attributes
``train_one_epoch`` reads, no boxes needed (the toy models ignore their targets), a toy model of
one weight whose updates can be computed by hand, and one epoch of a toy model on the CPU with
plain SGD at a constant learning rate."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from detseg.engine.solver import build_scheduler
from detseg.engine.training import EpochStats, train_one_epoch


@dataclass
class FakeBatch:
    """``images`` (an empty list: every image was unreadable), per-image ``targets``, and the
    loader's counts of skipped images and dropped boxes."""

    images: list[torch.Tensor]
    targets: list[dict] = field(default_factory=list)
    skipped_images: int = 0
    dropped_boxes: int = 0


class LinearModel(nn.Module):
    """losses = mean over the batch's images of (w * x_i - 1)^2 with x_i = image.mean(); w
    starts at 0."""

    def __init__(self) -> None:
        super().__init__()
        self.w = nn.Parameter(torch.zeros(()))

    def losses(self, images, targets):
        x = torch.stack([image.mean() for image in images])
        return {"loss_a": ((self.w * x - 1.0) ** 2).mean()}


def train_on_cpu(
    model: nn.Module, loader: Iterable[Any], *, total_iters: int = 10, **kwargs: Any
) -> EpochStats:
    """``train_one_epoch(model, loader, ...)`` on the CPU with SGD (lr 0.1) and a constant
    schedule of ``total_iters`` iterations in one epoch; ``kwargs`` go to ``train_one_epoch``
    (``settings``, ``position``, ``after_step``, ...)."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(
        optimizer, "constant", iters_per_epoch=total_iters, total_iters=total_iters
    )
    return train_one_epoch(model, loader, optimizer, scheduler, torch.device("cpu"), **kwargs)
