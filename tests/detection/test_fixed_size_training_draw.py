"""Training with ``fixed_size`` draws from torch's RNG as the torchvision twin does.

torchvision's R-CNN transform picks a random ``min_size`` for every training image even when
``fixed_size`` makes it unused. Without that draw the random streams would differ after the
transform: the RPN and RoI samplers would pick other anchors and proposals, and the same seed
would give other classification losses than the twin (0.6901 against 0.6913 below).
"""

from __future__ import annotations

import torch
from torchvision.models import detection as tv_detection

from detseg.models import from_torchvision

NAMES = {
    "loss_rpn_cls": "loss_objectness",
    "loss_rpn_box": "loss_rpn_box_reg",
    "loss_roi_cls": "loss_classifier",
    "loss_roi_box": "loss_box_reg",
}


def test_fixed_size_training_losses_match_torchvision():
    torch.manual_seed(0)
    tv_model = tv_detection.fasterrcnn_mobilenet_v3_large_320_fpn(
        weights=None, weights_backbone=None, num_classes=5, fixed_size=(256, 192)
    ).train()
    model = from_torchvision(tv_model)
    generator = torch.Generator().manual_seed(1)
    images = [
        torch.rand(3, 100, 300, generator=generator),
        torch.rand(3, 257, 31, generator=generator),
    ]
    targets = [
        {"boxes": torch.tensor([[10.0, 20.0, 90.0, 80.0]]), "labels": torch.tensor([4])},
        {"boxes": torch.zeros(0, 4), "labels": torch.zeros(0, dtype=torch.int64)},
    ]
    torch.manual_seed(3)
    want = tv_model(images, targets)
    torch.manual_seed(3)
    have = model.losses(images, targets)
    for ours, theirs in NAMES.items():
        torch.testing.assert_close(have[ours], want[theirs], rtol=1e-5, atol=1e-6)
