"""YOLOv3 smooth-L1 targets of a box whose centre leaves the input: the centre offsets are
clamped to [0, 1] (what ``sigmoid(tx)``, ``sigmoid(ty)`` can reach), as the v1 targets are,
not unreachable offsets above 1 that keep the box loss from going to 0."""

from __future__ import annotations

import math

import torch

from detseg.detection.yolo_loss import YOLOv3LossConfig, yolov3_loss
from detseg.detection.yolo_targets import assign_yolov3_per_image
from detseg.ops.yolo_priors import yolo_grid_priors

# 64 x 64 input, one level of stride 16 (4 x 4 cells), one prior of the box's size
PRIOR = torch.tensor([[120.0, 20.0]])
# centre (100, 20): past the right edge, in the row-1 border cell (3, 1) at offset (3.25, 0.25)
BOX = torch.tensor([[40.0, 10.0, 160.0, 30.0]])


def test_box_loss_reaches_zero_for_a_centre_outside_the_image():
    priors = yolo_grid_priors((4, 4), 16.0, PRIOR)  # [16, 5]
    matched = assign_yolov3_per_image(BOX, [PRIOR], [16.0], [(4, 4)])
    assert matched.tolist().index(0) == 1 * 4 + 3  # row 1, column 3
    raw = torch.zeros(1, 16, 5 + 1)
    # the best reachable prediction: x at the cell's right edge, y at 0.25, the prior's size
    raw[0, 7, 0], raw[0, 7, 1] = 30.0, math.log(0.25 / 0.75)
    decoded = torch.zeros(1, 16, 4)  # unused by the smooth-L1 loss
    losses = yolov3_loss(
        raw,
        priors,
        decoded,
        matched[None],
        torch.zeros(1, 16, dtype=torch.bool),
        BOX[None],
        torch.tensor([[1]]),
        YOLOv3LossConfig(box_loss="smooth_l1"),
    )
    assert losses["loss_box"].item() < 1e-6
