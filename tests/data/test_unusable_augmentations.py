"""A config naming a transform that cannot run on a detseg sample is refused when it is built.

Mixing transforms (``Mosaic``, ``FDA``, ``HistogramMatching``, ...) need other images with
every sample, which detseg's datasets do not pass; base classes and 3-D volume transforms
transform no image. Built anyway, each would fail on the first sample of the first epoch,
inside a loader worker, instead of naming the config item.
"""

import pytest

from detseg.data.seg_transforms import build_segmentation_augmentations
from detseg.data.transforms import available_augmentations, build_augmentations

BUILDERS = [build_augmentations, build_segmentation_augmentations]


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Mosaic", "mosaic_metadata"),
        ("FDA", "fda_metadata"),
        ("HistogramMatching", "hm_metadata"),
        ("PixelDistributionAdaptation", "pda_metadata"),
        ("OverlayElements", "overlay_metadata"),
    ],
)
def test_transform_needing_other_images_is_refused(build, name, key):
    spec = [{"name": "HorizontalFlip"}, {"name": name, "p": 0.5}]
    message = rf"augmentations\[1\]: augmentation '{name}' needs '{key}'"
    with pytest.raises(ValueError, match=message):
        build(spec)


def test_nested_mixing_transform_is_named_in_its_place():
    spec = [{"name": "OneOf", "transforms": [{"name": "Blur"}, {"name": "Mosaic"}]}]
    with pytest.raises(ValueError, match=r"augmentations\[0\]\.OneOf\[1\]: augmentation 'Mosaic'"):
        build_augmentations(spec)


@pytest.mark.parametrize("build", BUILDERS)
@pytest.mark.parametrize("name", ["DualTransform", "ImageOnlyTransform", "CubicSymmetry", "Pad3D"])
def test_base_classes_and_volume_transforms_are_refused(build, name):
    with pytest.raises(ValueError, match=rf"'{name}' transforms no 2-D image") as info:
        build([{"name": name}])
    assert "\n" not in str(info.value)
    assert name not in available_augmentations()


def test_image_transforms_stay_available():
    names = available_augmentations()
    for name in ("HorizontalFlip", "RandomResizedCrop", "ColorJitter", "OneOf", "MaskDropout"):
        assert name in names
