"""A stand-in for the loader's detection ``Batch`` in the training-loop tests: the attributes
``train_one_epoch`` reads, no boxes needed (the toy models ignore their targets)."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch


@dataclass
class FakeBatch:
    """``images`` (an empty list: every image was unreadable), per-image ``targets``, and the
    loader's counts of skipped images and dropped boxes."""

    images: list[torch.Tensor]
    targets: list[dict] = field(default_factory=list)
    skipped_images: int = 0
    dropped_boxes: int = 0
