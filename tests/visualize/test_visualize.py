"""Drawing detections: colours per class, pixels changed only around drawn boxes, instance
masks blended and outlined in their class colour under the boxes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from detseg.visualize import (
    NO_DETECTIONS_COLOR,
    class_colors,
    draw_detections,
    save_rgb,
    tensor_to_rgb,
)


def test_class_colors_are_distinct_and_stable() -> None:
    colors = class_colors(20)
    assert len(set(colors)) == 20
    assert colors == class_colors(20)
    assert class_colors(3) == colors[:3]


def test_draw_detections_draws_only_kept_boxes() -> None:
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


def test_tensor_to_rgb_and_save(tmp_path: Path) -> None:
    image = torch.zeros(3, 2, 3)
    image[0] = 1.0  # pure red
    rgb = tensor_to_rgb(image)
    assert rgb.shape == (2, 3, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (255, 0, 0)
    save_rgb(tmp_path / "out" / "red.png", rgb)
    import cv2

    written = cv2.imread(str(tmp_path / "out" / "red.png"))
    assert written is not None and tuple(written[0, 0]) == (0, 0, 255)  # BGR
    with pytest.raises(ValueError, match=r"\[3, H, W\]"):
        tensor_to_rgb(torch.zeros(2, 2))


def test_draw_detections_blends_and_outlines_masks_under_the_boxes() -> None:
    image = np.full((60, 80, 3), 40, np.uint8)
    boxes = torch.tensor([[10.0, 10.0, 40.0, 40.0], [25.0, 20.0, 70.0, 50.0]])
    masks = torch.zeros(2, 60, 80, dtype=torch.bool)
    masks[0, 15:35, 15:35] = True
    masks[1, 25:45, 30:65] = True  # overlaps mask 0 on rows 25..34, columns 30..34
    labels, scores = torch.tensor([1, 2]), torch.tensor([0.6, 0.9])
    out = draw_detections(image, boxes, labels, scores, ["a", "b"], masks=masks, mask_alpha=0.5)
    a, b = (np.array(c) for c in class_colors(2))
    assert tuple(out[33, 20]) == tuple(np.round(0.5 * 40 + 0.5 * a))  # inside mask 0
    assert tuple(out[40, 50]) == tuple(np.round(0.5 * 40 + 0.5 * b))  # inside mask 1
    assert tuple(out[33, 32]) == tuple(np.round(0.5 * 40 + 0.5 * b))  # overlap: higher score
    assert tuple(out[25, 50]) == tuple(b)  # top edge of mask 1: its outline
    assert tuple(out[15, 20]) == tuple(a)  # top edge of mask 0
    assert tuple(out[40, 10]) == tuple(a)  # the box of class "a" is drawn over everything
    assert tuple(out[5, 5]) == (40, 40, 40) and tuple(out[55, 75]) == (40, 40, 40)
    no_masks = draw_detections(image, boxes, labels, scores, ["a", "b"])
    outside = ~masks.any(0).numpy()
    assert np.array_equal(out[outside], no_masks[outside])
    hidden = draw_detections(image, boxes, labels, scores, ["a", "b"], 0.7, masks=masks)
    assert tuple(hidden[20, 20]) == (40, 40, 40)  # a detection below the threshold: no mask


def test_draw_detections_checks_the_masks() -> None:
    image = np.zeros((10, 12, 3), np.uint8)
    boxes, labels = torch.tensor([[1.0, 1, 5, 5]]), torch.tensor([1])
    with pytest.raises(ValueError, match=r"\[1, 10, 12\]"):
        draw_detections(image, boxes, labels, None, ["a"], masks=torch.zeros(1, 10, 10))
    with pytest.raises(ValueError, match="mask_alpha"):
        draw_detections(image, boxes, labels, None, ["a"], masks=np.ones((1, 10, 12)), mask_alpha=2)
    probabilities = torch.zeros(1, 1, 10, 12)  # [N, 1, H, W] as a model gives them
    probabilities[0, 0, 2:6, 2:6] = 1
    out = draw_detections(image, boxes, labels, None, ["a"], masks=probabilities, mask_alpha=1)
    assert tuple(out[3, 3]) == class_colors(1)[0]


def test_draw_detections_marks_a_picture_without_detections() -> None:
    image = np.full((120, 160, 3), 200, np.uint8)
    no_boxes = np.zeros((0, 4))
    empty = draw_detections(image, no_boxes, np.zeros(0, np.int64), np.zeros(0), ["a"])
    changed = np.argwhere((empty != image).any(axis=2))
    assert len(changed) > 0  # the note is drawn ...
    assert changed[:, 0].max() < 20 and changed[:, 1].max() < 110  # ... in the top-left corner
    assert (empty[2, 2] == NO_DETECTIONS_COLOR).all()
    # every detection under the threshold: the same kind of note, longer (it names the threshold)
    below = draw_detections(
        image, np.array([[60.0, 60.0, 100.0, 100.0]]), np.array([1]), np.array([0.2]), ["a"], 0.5
    )
    below_changed = np.argwhere((below != image).any(axis=2))
    assert below_changed[:, 0].max() < 20
    assert below_changed[:, 1].max() > changed[:, 1].max()
    # ground truth (no scores) without boxes is the image itself, and one drawn detection
    # leaves the corner clear
    assert np.array_equal(draw_detections(image, no_boxes, np.zeros(0), None, ["a"]), image)
    one = draw_detections(
        image, np.array([[60.0, 60.0, 100.0, 100.0]]), np.array([1]), np.array([0.9]), ["a"]
    )
    assert np.array_equal(one[:20, :50], image[:20, :50])
