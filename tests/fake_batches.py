"""A stand-in for the loader's detection ``Batch`` in the training-loop tests: the attributes
``train_one_epoch`` reads, no boxes needed (the toy models ignore their targets), and a toy
model of one weight whose updates can be computed by hand."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


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
