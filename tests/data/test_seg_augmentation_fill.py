"""Label maps through geometric segmentation augmentations: no new label, new pixels ignored.

Every transform that brings in pixels from outside the image (pads, rotations, shifts, nested
in composers too) must fill the label map with 255, never with background, and the nearest
resampling of masks must not invent a label between two others (0 and 20 never give 10).
"""

import numpy as np
import pytest

from detseg.data.seg_transforms import (
    apply_segmentation_augmentations,
    build_segmentation_augmentations,
)

ROTATE = {"name": "Rotate", "limit": [30, 30], "p": 1}
FILLING = [
    [{"name": "PadIfNeeded", "min_height": 40, "min_width": 64, "position": "random"}],
    [ROTATE],
    [{"name": "SafeRotate", "limit": [30, 30], "p": 1}],
    [{"name": "Affine", "translate_px": {"x": [7, 7], "y": [0, 0]}, "p": 1}],
    [{"name": "RandomCrop", "height": 40, "width": 64, "pad_if_needed": True}],
    [{"name": "OneOf", "p": 1, "transforms": [ROTATE]}],
    [{"name": "Sequential", "p": 1, "transforms": [ROTATE]}],
]


@pytest.mark.parametrize("spec", FILLING, ids=lambda spec: spec[0]["name"])
def test_pixels_from_outside_the_image_are_ignored(spec):
    image = np.ones((30, 50, 3), np.float32)  # new image pixels are exactly 0
    mask = np.zeros((30, 50), np.uint8)
    out_image, out_mask = apply_segmentation_augmentations(
        build_segmentation_augmentations(spec, seed=1), image, mask
    )
    new = (out_image == 0).all(axis=-1)
    assert new.sum() > 0
    assert (out_mask[new] == 255).all()


@pytest.mark.parametrize(
    "spec",
    [
        [{"name": "RandomScale", "scale_limit": 0.5, "p": 1}],
        [{"name": "Resize", "height": 33, "width": 77}],
        [{"name": "Affine", "scale": 0.7, "rotate": 20, "p": 1}],
        [{"name": "ElasticTransform", "p": 1}],
        [{"name": "RandomResizedCrop", "size": [32, 32], "p": 1}],
    ],
    ids=lambda spec: spec[0]["name"],
)
def test_resampling_invents_no_label(spec):
    rng = np.random.default_rng(0)
    image = rng.random((40, 56, 3), dtype=np.float32)
    mask = np.zeros((40, 56), np.uint8)
    mask[5:20, 10:30] = 20
    mask[25:35, 30:50] = 40
    pipeline = build_segmentation_augmentations(spec, seed=3)
    for _ in range(4):
        out_image, out_mask = apply_segmentation_augmentations(pipeline, image, mask)
        assert out_image.shape[:2] == out_mask.shape
        assert set(np.unique(out_mask).tolist()) <= {0, 20, 40, 255}
