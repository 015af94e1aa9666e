"""A bad augmentation config gives one line naming the item, the transform and the key."""

import pytest

from detseg.data.transforms import build_augmentations


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"name": "HorizontalFlip", "prob": 0.5},
            r"augmentations\[1\] \(HorizontalFlip\): .*'prob'",
        ),
        (
            {"name": "RandomBrightnessContrast", "brightness_limit": "lots"},
            r"augmentations\[1\] \(RandomBrightnessContrast\): bad value for 'brightness_limit'",
        ),
        (
            {"name": "HorizontalFlip", "p": 2},
            r"augmentations\[1\] \(HorizontalFlip\): bad value for 'p'",
        ),
        (
            {"name": "Resize", "height": 10},
            r"augmentations\[1\] \(Resize\): missing argument 'width'",
        ),
        (
            {"name": "Rotate", "interpolation": "linear"},
            r"augmentations\[1\] \(Rotate\): bad value for 'interpolation'.*'linear'",
        ),
    ],
)
def test_bad_item_is_named_on_one_line(item, message):
    with pytest.raises(ValueError, match=message) as info:
        build_augmentations([{"name": "HorizontalFlip", "p": 0.5}, item])
    text = str(info.value)
    assert "\n" not in text and "http" not in text


def test_unknown_argument_of_a_nested_transform_names_its_place():
    spec = [{"name": "OneOf", "transforms": [{"name": "Blur", "blur_limt": 3}]}]
    with pytest.raises(ValueError, match=r"augmentations\[0\]\.OneOf\[0\] \(Blur\): .*'blur_limt'"):
        build_augmentations(spec)
