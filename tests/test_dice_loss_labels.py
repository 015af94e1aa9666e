"""``dice_loss`` refuses labels outside ``[0, C)`` (bar the ignore index) and float label maps.

The label range is read on the host only where that is free (CPU tensors); with the GPU's
choice (``host_reads_are_free`` false) the loss reads nothing back.
"""

from __future__ import annotations

import pytest
import torch

import detseg.losses
from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.losses import dice_loss


def _inputs() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    return torch.randn(2, 3, 4, 4), torch.randint(0, 3, (2, 4, 4))


@pytest.mark.parametrize("label", [3, 7, -1])
def test_label_outside_the_classes_is_refused(label: int) -> None:
    logits, target = _inputs()
    target[1, 2, 2] = label
    with pytest.raises(ValueError, match=rf"outside 0..2 \(C=3 .*(largest|smallest) {label}"):
        dice_loss(logits, target)


def test_ignore_index_is_allowed() -> None:
    logits, target = _inputs()
    target[0, 0] = 255
    assert torch.isfinite(dice_loss(logits, target))
    target[1, 0] = -1
    with pytest.raises(ValueError, match="smallest -1"):
        dice_loss(logits, target)
    target[0, 0] = -1
    assert torch.isfinite(dice_loss(logits, target, ignore_index=-1))


def test_float_label_map_is_refused() -> None:
    logits, target = _inputs()
    with pytest.raises(ValueError, match=r"integer class indices .*torch.float32.*\.long\(\)"):
        dice_loss(logits, target.float() * 0.7)


def test_no_host_read_with_the_gpu_choice(monkeypatch) -> None:
    monkeypatch.setattr(detseg.losses, "host_reads_are_free", lambda device: False)
    logits, target = _inputs()
    target[1, 2, 2] = 7  # not checked there: counts as no class
    with HostSyncRecorder() as recorder:
        loss = dice_loss(logits, target)
    assert dict(recorder.sites) == {}
    assert torch.isfinite(loss)
