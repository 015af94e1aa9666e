"""``CropNonEmptyMaskIfExists`` on a label map crops around labelled pixels, not ignored ones.

The library's transform centres its crop on a random pixel that is not ``0``; in a label map
``255`` marks pixels without a label (VOC outlines, padding, crowd regions), so a crop centred
there would show no object at all.
"""

import numpy as np
import pytest

from detseg.data.seg_transforms import (
    apply_segmentation_augmentations,
    build_segmentation_augmentations,
)

H, W = 120, 160


def _sample() -> tuple[np.ndarray, np.ndarray]:
    image = np.random.default_rng(0).random((H, W, 3)).astype(np.float32)
    labels = np.full((H, W), 255, np.uint8)  # mostly unlabelled
    labels[:, :20] = 0
    labels[100:110, 140:150] = 1  # one small object in a corner
    return image, labels


def test_crop_contains_the_labelled_object():
    image, labels = _sample()
    spec = [{"name": "CropNonEmptyMaskIfExists", "height": 40, "width": 40}]
    for seed in range(20):
        pipeline = build_segmentation_augmentations(spec, seed=seed)
        new_image, new_labels = apply_segmentation_augmentations(pipeline, image, labels)
        assert new_image.shape == (40, 40, 3)
        assert (new_labels == 1).any(), f"seed {seed}: the crop holds no labelled pixel"


@pytest.mark.parametrize("ignore_values", [[], [1]])
def test_ignore_values_of_the_config_are_kept(ignore_values):
    spec = [{"name": "CropNonEmptyMaskIfExists", "height": 40, "width": 40}]
    spec[0]["ignore_values"] = ignore_values
    pipeline = build_segmentation_augmentations(spec, seed=0)
    assert list(pipeline.transforms[0].ignore_values) == ignore_values
