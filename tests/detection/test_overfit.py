"""Every detector family learns: a few dozen steps on one fixed batch cut its training loss.

The batch is two 128 x 128 images of the synthetic shapes dataset, drawn in memory by
:func:`detseg.data.shapes.render_image`, with the boxes of each instance's visible pixels.
Each model is built by name through :func:`detseg.models.build_model` with a small backbone and
no pretrained weights, and trained with its own ``losses`` and plain Adam.
"""

from __future__ import annotations

import pytest
import torch
from torch import Tensor
from torchvision.ops import masks_to_boxes

from detseg.data.shapes import SHAPE_CLASSES, render_image
from detseg.models import build_model

SEED = 0
STEPS = 30
LEARNING_RATE = 1e-3
IMAGE_SIZE = 128
IMAGE_INDICES = (1, 2)  # one large square; three mid-sized shapes that overlap
NUM_CLASSES = len(SHAPE_CLASSES)

SMALL_MOBILENET = {"backbone": "mobilenet_v3_large", "width_mult": 0.5}
DETECTOR_CONFIGS = {
    "faster_rcnn": {
        "name": "faster_rcnn",
        **SMALL_MOBILENET,
        "fpn_channels": 32,
        "representation_size": 64,
        "min_size": IMAGE_SIZE,
        "max_size": IMAGE_SIZE,
        "rpn": {
            "pre_nms_top_n_train": 200,
            "post_nms_top_n_train": 100,
            "batch_size_per_image": 64,
        },
        "roi_heads": {"batch_size_per_image": 32},
    },
    "retinanet": {
        "name": "retinanet",
        **SMALL_MOBILENET,
        "fpn_channels": 32,
        "head_convs": 1,
        "min_size": IMAGE_SIZE,
        "max_size": IMAGE_SIZE,
    },
    "ssd": {"name": "ssd", **SMALL_MOBILENET, "size": IMAGE_SIZE},
    "yolo_v1": {
        "name": "yolo",
        **SMALL_MOBILENET,
        "version": "v1",
        "input_size": IMAGE_SIZE,
        "grid_size": 4,
        "head_channels": 32,
    },
    "yolo_v3": {
        "name": "yolo",
        **SMALL_MOBILENET,
        "version": "v3",
        "input_size": IMAGE_SIZE,
        "neck_channels": 32,
        "head_channels": 32,
    },
}


def shapes_batch() -> tuple[list[Tensor], list[dict[str, Tensor]]]:
    """Images ``Float[3, S, S]`` in ``[0, 1]`` and their targets.

    Targets hold ``boxes`` ``Float[N, 4]`` xyxy pixels around each instance's visible pixels
    (a mask column ``x`` spans ``[x, x + 1)``) and ``labels`` ``Int64[N]`` in ``1..K``.
    """
    images, targets = [], []
    for index in IMAGE_INDICES:
        rendered = render_image(seed=0, split="train", index=index, size=IMAGE_SIZE)
        images.append(torch.from_numpy(rendered.image).permute(2, 0, 1).float() / 255)
        boxes = masks_to_boxes(torch.from_numpy(rendered.masks)) + torch.tensor([0, 0, 1, 1])
        targets.append({"boxes": boxes, "labels": torch.from_numpy(rendered.labels)})
    return images, targets


@pytest.mark.parametrize("name", sorted(DETECTOR_CONFIGS))
def test_training_loss_falls_on_one_batch(name, train_on_one_batch):
    images, targets = shapes_batch()
    torch.manual_seed(SEED)
    model = build_model(DETECTOR_CONFIGS[name], NUM_CLASSES)
    initial, final = train_on_one_batch(model, images, targets, STEPS, LEARNING_RATE)
    assert final < 0.5 * initial, f"{name}: loss {initial:.3f} -> {final:.3f} in {STEPS} steps"
