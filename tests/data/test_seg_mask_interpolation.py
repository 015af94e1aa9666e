"""A segmentation pipeline refuses a label-map interpolation other than nearest."""

import cv2
import numpy as np
import pytest

from detseg.data.seg_transforms import (
    apply_segmentation_augmentations,
    build_segmentation_augmentations,
)


@pytest.mark.parametrize(
    "spec",
    [
        [{"name": "Resize", "height": 33, "width": 77, "mask_interpolation": 1}],
        [{"name": "OneOf", "transforms": [{"name": "Affine", "mask_interpolation": 2}]}],
    ],
)
def test_non_nearest_mask_interpolation_is_refused(spec):
    with pytest.raises(ValueError, match="mask_interpolation must be 0 \\(nearest\\)"):
        build_segmentation_augmentations(spec)


def test_nearest_mask_interpolation_is_accepted():
    spec = [{"name": "Resize", "height": 33, "width": 77, "mask_interpolation": 0}]
    pipeline = build_segmentation_augmentations(spec)
    rng = np.random.default_rng(0)
    mask = rng.choice(np.array([0, 2, 5, 255], np.uint8), size=(20, 30))
    image = rng.random((20, 30, 3), dtype=np.float32)
    _, resized = apply_segmentation_augmentations(pipeline, image, mask)
    # the label map is resized to the asked size by nearest neighbour: every value is one of
    # the input labels (no blend such as 1 between 0 and 2), each pixel the one OpenCV picks
    expected = cv2.resize(mask, (77, 33), interpolation=cv2.INTER_NEAREST)
    assert resized.shape == (33, 77)
    np.testing.assert_array_equal(resized, expected)
