"""YOLOv1 targets of boxes that leave the input: the border cell, and targets in [0, 1] (what
the head's sigmoid outputs can reach), not unreachable targets above 1 that swamp the loss."""

from __future__ import annotations

import torch

from detseg.ops.yolo_priors import encode_yolov1_boxes


def test_targets_of_boxes_beyond_the_border_stay_in_the_unit_range():
    # 64 x 64 input, 4 x 4 grid (16 px cells); centres at (100, 20) and (20, -20); the first
    # box is wider than the image, the second taller
    boxes = torch.tensor([[40.0, 10.0, 160.0, 30.0], [10.0, -60.0, 30.0, 20.0]])
    cells, targets = encode_yolov1_boxes(boxes, 4, (64, 64))
    assert cells.tolist() == [[1, 3], [0, 1]]  # (row, col): rows and columns clamped to the grid
    assert targets[:, :2].tolist() == [[1.0, 0.25], [0.25, 0.0]]
    assert torch.allclose(targets[:, 2:], torch.tensor([[1.0, 20 / 64], [20 / 64, 1.0]]).sqrt())


def test_boxes_inside_the_image_keep_their_targets():
    boxes = torch.tensor([[0.0, 0.0, 64.0, 64.0], [8.0, 4.0, 24.0, 12.0]])
    cells, targets = encode_yolov1_boxes(boxes, 4, (64, 64))
    assert cells.tolist() == [[2, 2], [0, 1]]
    expected = torch.tensor([[0.0, 0.0, 1.0, 1.0], [0.0, 0.5, 0.5, 0.5**1.5]])
    assert torch.allclose(targets, expected)
