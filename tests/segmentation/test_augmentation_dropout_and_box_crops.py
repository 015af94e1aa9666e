"""Dropout and box-guided augmentations in a segmentation pipeline.

``CoarseDropout``, ``GridDropout``, ``XYMasking`` and ``Erasing`` hide image pixels, not their
labels: they leave the mask as it is unless ``fill_mask`` is set (albumentations' default); the
segmentation builder's ignore fill is for pixels that come from outside the image (pads,
rotations). Crops guided by boxes need boxes, which a label map does not have: the builder
refuses them instead of a ``KeyError: 'bboxes'`` in the first training step.
"""

import numpy as np
import pytest

from detseg.data.seg_transforms import (
    apply_segmentation_augmentations,
    build_segmentation_augmentations,
)

DROPOUTS = [
    {"name": "CoarseDropout", "num_holes_range": [4, 4], "p": 1},
    {"name": "GridDropout", "ratio": 0.5, "p": 1},
    {"name": "XYMasking", "num_masks_x": 2, "mask_x_length": 6, "p": 1},
    {"name": "Erasing", "p": 1},
]


@pytest.mark.parametrize("item", DROPOUTS, ids=lambda item: item["name"])
def test_dropout_keeps_the_labels_under_its_holes(item):
    image = np.ones((32, 48, 3), np.float32)
    mask = np.zeros((32, 48), np.uint8)
    mask[8:24, 12:36] = 3
    pipeline = build_segmentation_augmentations([item], seed=0)
    out_image, out_mask = apply_segmentation_augmentations(pipeline, image, mask)
    assert (out_image != 1).any(axis=-1).sum() > 0  # some pixels were dropped
    assert np.array_equal(out_mask, mask)


def test_an_explicit_fill_mask_still_applies():
    image = np.ones((32, 48, 3), np.float32)
    mask = np.zeros((32, 48), np.uint8)
    item = {"name": "CoarseDropout", "num_holes_range": [4, 4], "fill_mask": 255, "p": 1}
    pipeline = build_segmentation_augmentations([item], seed=0)
    out_image, out_mask = apply_segmentation_augmentations(pipeline, image, mask)
    dropped = (out_image != 1).any(axis=-1)
    assert dropped.sum() > 0
    assert (out_mask[dropped] == 255).all() and (out_mask[~dropped] == 0).all()


@pytest.mark.parametrize(
    "item",
    [
        {"name": "BBoxSafeRandomCrop"},
        {
            "name": "OneOf",
            "transforms": [{"name": "RandomSizedBBoxSafeCrop", "height": 8, "width": 8}],
        },
    ],
    ids=["BBoxSafeRandomCrop", "nested RandomSizedBBoxSafeCrop"],
)
def test_box_guided_crops_are_refused_when_the_pipeline_is_built(item):
    with pytest.raises(ValueError, match="BBoxSafe.*a segmentation sample has no boxes"):
        build_segmentation_augmentations([item], seed=0)
