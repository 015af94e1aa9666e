"""Mask R-CNN's mask paste outside ``torch.no_grad``: an eval-mode ``model(images)`` works, as
torchvision's, with the same masks as under ``no_grad`` and a gradient back to the box masks."""

from __future__ import annotations

import torch
from torchvision.models.detection import roi_heads as tv_roi_heads

from detseg.detection.mask_head import paste_masks_in_image


def test_paste_of_masks_that_need_a_gradient_matches_torchvision():
    torch.manual_seed(0)
    masks = torch.rand(3, 1, 28, 28, requires_grad=True)
    boxes = torch.tensor([[2.0, 3, 30, 20], [0, 0, 1, 40], [10, 1, 89, 9]])
    pasted = paste_masks_in_image(masks, boxes, (50, 90))
    with torch.no_grad():
        want = paste_masks_in_image(masks, boxes, (50, 90))
        reference = tv_roi_heads.paste_masks_in_image(masks, boxes, (50, 90))
    assert torch.allclose(pasted, want, atol=1e-6)
    assert torch.allclose(pasted, reference, atol=1e-5)
    pasted.sum().backward()
    assert masks.grad is not None and masks.grad.abs().sum() > 0
