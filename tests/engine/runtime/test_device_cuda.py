"""On a GPU (marked ``cuda``): an AMP ``auto`` training step runs in bf16 on channels-last
weights, and pinned batches keep their attributes."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from detseg.data.loader import Batch
from detseg.data.seg_loader import SegBatch
from detseg.engine.runtime.device import (
    build_grad_scaler,
    resolve_amp,
    resolve_channels_last,
    to_channels_last,
)
from detseg.engine.solver import build_scheduler
from detseg.engine.training import StepSettings, train_one_epoch

pytestmark = pytest.mark.cuda

CUDA = torch.device("cuda")


class ConvModel(nn.Module):
    """A conv layer whose ``losses`` records the dtype and layout of its output."""

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.seen: list[tuple[torch.dtype, bool]] = []

    def losses(self, images, targets):
        x = self.conv(torch.stack(images))
        self.seen.append((x.dtype, x.is_contiguous(memory_format=torch.channels_last)))
        return {"loss_a": x.float().square().mean()}


def test_an_amp_auto_step_runs_in_bf16_on_channels_last_weights():
    amp = resolve_amp("auto", CUDA)
    assert amp == ("bf16" if torch.cuda.is_bf16_supported(including_emulation=False) else "fp16")
    model = ConvModel().to(CUDA)
    assert resolve_channels_last("auto", CUDA)
    to_channels_last(model)
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    scheduler = build_scheduler(optimizer, "constant", iters_per_epoch=2, total_iters=2)
    batches = [Batch([torch.rand(3, 16, 16) for _ in range(2)], [{}, {}]) for _ in range(2)]
    before = model.conv.weight.detach().clone()
    stats = train_one_epoch(
        model,
        batches,
        optimizer,
        scheduler,
        CUDA,
        settings=StepSettings(amp=amp),
        scaler=build_grad_scaler(CUDA, amp),
    )
    assert stats.iterations == 2 and 0.0 <= stats.data_wait <= 1.0
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    assert model.seen == [(dtype, True), (dtype, True)]
    assert model.conv.weight.dtype == torch.float32  # autocast leaves the weights alone
    assert model.conv.weight.is_contiguous(memory_format=torch.channels_last)
    assert not torch.equal(model.conv.weight, before)


def test_pinned_batches_keep_their_attributes():
    batch = Batch([torch.rand(3, 4, 4)], [{"boxes": torch.zeros(0, 4), "image_id": 7}], 1, 2, [7])
    batch.source_ids = [7, 8]
    pinned = batch.pin_memory()
    assert pinned.images[0].is_pinned() and pinned.targets[0]["boxes"].is_pinned()
    assert pinned.targets[0]["image_id"] == 7
    assert (pinned.source_ids, pinned.skipped_images, pinned.dropped_boxes) == ([7, 8], 1, 2)
    seg = SegBatch(torch.rand(1, 3, 4, 4), torch.zeros(1, 4, 4, dtype=torch.int64), 0, [(4, 4)])
    seg.source_ids = [3]
    pinned_seg = seg.pin_memory()
    assert pinned_seg.images.is_pinned() and pinned_seg.masks.is_pinned()
    assert pinned_seg.source_ids == [3] and pinned_seg.image_sizes == [(4, 4)]
