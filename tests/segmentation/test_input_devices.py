"""Images or masks on another device than a segmenter (``meta`` stands in for a GPU) are
refused in one line naming both devices, before the network runs."""

from __future__ import annotations

import pytest
import torch

from detseg.models import build_model


@pytest.fixture(scope="module")
def segmenter() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model({"name": "lraspp"}, num_classes=3)


def test_images_on_another_device(segmenter: torch.nn.Module) -> None:
    images = torch.rand(1, 3, 32, 32, device="meta")
    with pytest.raises(ValueError, match=r"images are on meta but the model is on cpu"):
        segmenter.losses(images, torch.zeros(1, 32, 32, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"images are on meta but the model is on cpu"):
        segmenter.predict(images)


def test_masks_on_another_device(segmenter: torch.nn.Module) -> None:
    masks = torch.zeros(1, 32, 32, dtype=torch.int64, device="meta")
    with pytest.raises(ValueError, match=r"masks are on meta but the images and the model on cpu"):
        segmenter.losses(torch.rand(1, 3, 32, 32), masks)
