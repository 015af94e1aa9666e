"""A detection dataset refuses an augmentation pipeline that would move the image without its
boxes; ``detection_bbox_params`` gives a pipeline of one's own the settings it needs."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.data import CocoDetection
from detseg.data.albumentations_import import A
from detseg.data.shapes import generate_shapes
from detseg.data.transforms import check_detection_pipeline, detection_bbox_params


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipelines") / "shapes"
    generate_shapes(root, num_train=2, num_val=1, num_test=0, size=64, seed=0)
    return root


def _dataset(root, augmentations):
    return CocoDetection(
        root / "train/images", root / "annotations/instances_train.json", augmentations
    )


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (A.Compose([A.HorizontalFlip(p=1.0)]), "has no bbox_params: it would move the image"),
        (
            A.Compose(
                [A.HorizontalFlip(p=1.0)],
                bbox_params=A.BboxParams(format="coco", label_fields=["labels"]),
            ),
            "reads boxes as 'coco' with label fields \\['labels'\\]",
        ),
        (A.HorizontalFlip(p=1.0), "must be an albumentations.Compose, got HorizontalFlip"),
    ],
)
def test_a_pipeline_without_detseg_box_settings_is_refused(shapes, pipeline, message):
    with pytest.raises(ValueError, match=message):
        _dataset(shapes, pipeline)


def test_a_pipeline_of_ones_own_moves_the_boxes(shapes):
    flip = A.Compose([A.HorizontalFlip(p=1.0)], bbox_params=detection_bbox_params())
    check_detection_pipeline(flip)
    plain_image, plain = _dataset(shapes, None)[0]
    flipped_image, flipped = _dataset(shapes, flip)[0]
    width = plain_image.shape[-1]
    expected = plain["boxes"].numpy().copy()
    expected[:, [0, 2]] = width - expected[:, [2, 0]]
    np.testing.assert_allclose(flipped["boxes"].numpy(), expected, atol=1e-4)
    np.testing.assert_allclose(flipped_image.numpy(), plain_image.flip(-1).numpy())
