"""Flips keep boxes of exactly 1 px and put a box touching the border at ``W - x2``."""

import numpy as np
import pytest

from detseg.data.transforms import apply_augmentations, build_augmentations


def _thin_boxes():
    xs = np.arange(0.0, 63.0, 0.25)
    wide = np.stack([xs, np.full_like(xs, 3.0), xs + 1.0, np.full_like(xs, 4.0)], axis=1)
    ys = np.arange(0.0, 47.0, 0.25)
    tall = np.stack([np.full_like(ys, 3.0), ys, np.full_like(ys, 4.0), ys + 1.0], axis=1)
    return np.concatenate([wide, tall]).astype(np.float32)


@pytest.mark.parametrize("name", ["HorizontalFlip", "VerticalFlip", "Transpose", "D4"])
def test_a_flip_keeps_every_box_of_exactly_one_pixel(name):
    boxes = _thin_boxes()
    image = np.zeros((48, 64, 3), np.float32)
    for seed in range(4):
        pipeline = build_augmentations([{"name": name, "p": 1.0}], seed=seed)
        _, out, kept, _ = apply_augmentations(pipeline, image, boxes, np.ones(len(boxes), int))
        assert kept.tolist() == list(range(len(boxes)))
        sides = np.stack([out[:, 2] - out[:, 0], out[:, 3] - out[:, 1]], axis=1)
        np.testing.assert_allclose(sides.min(axis=1), 1.0, atol=1e-4)


def test_boxes_touching_the_border_flip_to_w_minus_x2():
    boxes = np.array([[40.0, 6.0, 64.0, 36.0], [0.0, 0.0, 64.0, 48.0], [0.0, 47.0, 1.0, 48.0]])
    image = np.zeros((48, 64, 3), np.float32)
    spec = [{"name": "HorizontalFlip", "p": 1.0}, {"name": "VerticalFlip", "p": 1.0}]
    _, out, kept, _ = apply_augmentations(build_augmentations(spec), image, boxes, np.ones(3, int))
    assert kept.tolist() == [0, 1, 2]
    expected = np.stack([64 - boxes[:, 2], 48 - boxes[:, 3], 64 - boxes[:, 0], 48 - boxes[:, 1]], 1)
    np.testing.assert_allclose(out, expected, atol=1e-5)
    assert out[:, 0::2].min() >= 0 and out[:, 2].max() <= 64 and out[:, 3].max() <= 48
