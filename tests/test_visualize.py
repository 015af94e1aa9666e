"""Drawing detections: colours per class, pixels changed only around drawn boxes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.visualize import class_colors, draw_detections, save_rgb, tensor_to_rgb


def test_class_colors_are_distinct_and_stable():
    colors = class_colors(20)
    assert len(set(colors)) == 20
    assert colors == class_colors(20)
    assert class_colors(3) == colors[:3]


def test_draw_detections_draws_only_kept_boxes():
    image = np.zeros((100, 100, 3), np.uint8)
    boxes = torch.tensor([[40.0, 40.0, 80.0, 80.0], [5.0, 5.0, 20.0, 20.0]])
    out = draw_detections(
        image, boxes, torch.tensor([2, 1]), torch.tensor([0.9, 0.1]), ["a", "b"], 0.5
    )
    assert image.sum() == 0  # input untouched
    color = class_colors(2)[1]
    assert tuple(out[60, 80]) == color  # right edge of the kept box, class "b" colour
    assert out[10:16, 10:16].sum() == 0  # the low-score box is not drawn
    assert out[60, 60].sum() == 0  # box interior stays clear


def test_tensor_to_rgb_and_save(tmp_path):
    image = torch.zeros(3, 2, 3)
    image[0] = 1.0  # pure red
    rgb = tensor_to_rgb(image)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (255, 0, 0)
    save_rgb(tmp_path / "out" / "red.png", rgb)
    import cv2

    assert tuple(cv2.imread(str(tmp_path / "out" / "red.png"))[0, 0]) == (0, 0, 255)  # BGR
    with pytest.raises(ValueError, match=r"\[3, H, W\]"):
        tensor_to_rgb(torch.zeros(2, 2))
