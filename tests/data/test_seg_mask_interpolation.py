"""A segmentation pipeline refuses a label-map interpolation other than nearest."""

import pytest

from detseg.data.seg_transforms import build_segmentation_augmentations


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
    assert build_segmentation_augmentations(spec) is not None
