"""A segmentation dataset refuses a pipeline of one's own that normalises or makes a tensor.

The model normalises its ``[0, 1]`` input and the dataset makes the tensor, as for detection;
the albumentations recipe ``[..., A.Normalize(), ToTensorV2()]`` would otherwise train on images
normalised twice (silently) or fail on a transposed image with a misleading size message.
"""

from __future__ import annotations

import numpy as np
import pytest
from albumentations.pytorch import ToTensorV2
from PIL import Image

from detseg.data.albumentations_import import A
from detseg.data.masks import FolderSegmentation
from detseg.data.seg_transforms import check_segmentation_pipeline


@pytest.fixture
def folders(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    Image.fromarray(np.full((24, 32, 3), 128, np.uint8)).save(tmp_path / "images" / "a.png")
    labels = np.zeros((24, 32), np.uint8)
    labels[4:12, 5:20] = 1
    Image.fromarray(labels).save(tmp_path / "labels" / "a.png")
    return tmp_path / "images", tmp_path / "labels"


@pytest.mark.parametrize(
    ("pipeline", "message"),
    [
        (A.Compose([A.HorizontalFlip(p=1.0), A.Normalize()]), "has Normalize: .*normalise twice"),
        (A.Compose([ToTensorV2()]), "has ToTensorV2"),
        (A.Compose([A.OneOf([A.Blur(), A.Normalize()], p=1.0)]), "has Normalize"),
        (A.HorizontalFlip(p=1.0), "must be an albumentations.Compose, got HorizontalFlip"),
    ],
)
def test_pipeline_that_breaks_the_contract_is_refused(folders, pipeline, message):
    with pytest.raises(ValueError, match=message):
        FolderSegmentation(*folders, classes=["thing"], augmentations=pipeline)


def test_pipeline_of_ones_own_runs(folders):
    pipeline = A.Compose([A.HorizontalFlip(p=1.0)])
    check_segmentation_pipeline(pipeline)
    image, mask = FolderSegmentation(*folders, classes=["thing"], augmentations=pipeline)[0]
    assert image.shape == (3, 24, 32) and float(image.max()) <= 1.0
    expected = np.zeros((24, 32), np.int64)
    expected[4:12, 32 - 20 : 32 - 5] = 1
    np.testing.assert_array_equal(mask.numpy(), expected)
