"""Segmenters learn: a few dozen steps on one fixed batch cut their training loss.

The batch is two 128 x 128 images of the synthetic shapes dataset, drawn in memory by
:func:`detseg.data.shapes.render_image`, with their semantic label maps (0 background,
``1..K`` classes). Each model is built by name through :func:`detseg.models.build_model` with
a small backbone and no pretrained weights, and trained with its own ``losses`` and plain Adam.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor

from detseg.data.shapes import SHAPE_CLASSES, render_image
from detseg.models import build_model

SEED = 0
STEPS = 30
LEARNING_RATE = 1e-2
IMAGE_SIZE = 128
IMAGE_INDICES = (1, 2)  # one large square; three mid-sized shapes that overlap
NUM_CLASSES = len(SHAPE_CLASSES)

SEGMENTER_CONFIGS = {
    "unet": {"name": "unet", "depth": 3, "base_channels": 8},
    "fcn": {
        "name": "fcn",
        "backbone": "mobilenet_v3_large",
        "width_mult": 0.5,
        "output_stride": 16,
    },
}


def shapes_batch() -> tuple[Tensor, Tensor]:
    """Images ``Float[B, 3, S, S]`` in ``[0, 1]`` and label maps ``Int64[B, S, S]``."""
    images, masks = [], []
    for index in IMAGE_INDICES:
        rendered = render_image(seed=0, split="train", index=index, size=IMAGE_SIZE)
        images.append(torch.from_numpy(rendered.image).permute(2, 0, 1).float() / 255)
        masks.append(torch.from_numpy(rendered.semantic).long())
    return torch.stack(images), torch.stack(masks)


@pytest.mark.parametrize("name", sorted(SEGMENTER_CONFIGS))
def test_training_loss_falls_on_one_batch(name, train_on_one_batch):
    images, masks = shapes_batch()
    assert len(masks.unique()) > 2  # background and at least two classes to tell apart
    torch.manual_seed(SEED)
    model = build_model(SEGMENTER_CONFIGS[name], NUM_CLASSES)
    initial, final = train_on_one_batch(model, images, masks, STEPS, LEARNING_RATE)
    assert final < 0.5 * initial, f"{name}: loss {initial:.3f} -> {final:.3f} in {STEPS} steps"
