"""A segmenter's training losses read nothing on the host when its tensors are on a GPU.

On the CPU the masks' values are checked (a host read is free there); with the GPU's choice
(``host_reads_are_free`` false) that check is left to the datasets, and no loss option (Dice,
boundary weights, the auxiliary head, area targets, deep supervision) reads a value back.
"""

from __future__ import annotations

import pytest
import torch

import detseg.losses
import detseg.segmentation.model as segmentation_model
from detseg.benchmark.host_syncs import HostSyncRecorder
from detseg.segmentation import SEGMENTATION_MODELS, SegmentationLossConfig

LOSS_OPTIONS = {
    "ce": SegmentationLossConfig(),
    "dice_boundary": SegmentationLossConfig(kind="ce+dice", boundary_weight=2.0),
    "area_targets": SegmentationLossConfig(size="logits", target_downsampling="area"),
}


def _batch() -> tuple[torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    masks = torch.randint(0, 4, (2, 64, 64))
    masks[0, :4] = 255  # ignored pixels
    return torch.rand(2, 3, 64, 64), masks


@pytest.mark.parametrize("loss", LOSS_OPTIONS, ids=str)
@pytest.mark.parametrize("name", ["fcn_resnet50", "lraspp_mobilenet_v3_large", "unet"])
def test_no_host_read_with_the_gpu_choice(monkeypatch, name, loss):
    monkeypatch.setattr(segmentation_model, "host_reads_are_free", lambda device: False)
    monkeypatch.setattr(detseg.losses, "host_reads_are_free", lambda device: False)
    model = SEGMENTATION_MODELS[name](3, loss=LOSS_OPTIONS[loss]).train()
    with HostSyncRecorder() as recorder:
        losses = model.losses(*_batch())
    assert dict(recorder.sites) == {}
    assert all(torch.isfinite(value) for value in losses.values())


def test_the_cpu_checks_mask_values():
    model = SEGMENTATION_MODELS["unet"](3).train()
    images, masks = _batch()
    masks[1, 5, 5] = 7
    with pytest.raises(ValueError, match=r"mask 1 has labels \[7\] outside 0..3"):
        model.losses(images, masks)
