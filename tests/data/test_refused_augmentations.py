"""Normalize, ToTensorV2 and FromFloat are refused: the model normalises the [0, 1] image
itself and the dataset makes the tensor."""

import pytest

from detseg.data.albumentations_import import A
from detseg.data.seg_transforms import build_segmentation_augmentations
from detseg.data.transforms import (
    build_augmentations,
    check_detection_pipeline,
    detection_bbox_params,
)


@pytest.mark.parametrize("build", [build_augmentations, build_segmentation_augmentations])
@pytest.mark.parametrize("name", ["Normalize", "ToTensorV2", "FromFloat"])
def test_a_config_with_normalize_or_to_tensor_is_refused(build, name):
    with pytest.raises(ValueError, match=rf"augmentations\[1\]: augmentation '{name}' is not"):
        build([{"name": "HorizontalFlip", "p": 0.5}, {"name": name}])
    nested = [{"name": "OneOf", "transforms": [{"name": name}]}]
    with pytest.raises(ValueError, match=rf"augmentations\[0\]\.OneOf\[0\]: .*'{name}'"):
        build(nested)


def test_a_pipeline_of_ones_own_with_normalize_is_refused():
    pipeline = A.Compose(
        [A.HorizontalFlip(p=0.5), A.OneOf([A.Normalize()])], bbox_params=detection_bbox_params()
    )
    with pytest.raises(ValueError, match="Normalize: the model normalises its input itself"):
        check_detection_pipeline(pipeline)
