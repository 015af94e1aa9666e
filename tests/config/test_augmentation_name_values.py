"""The ``name`` of each ``data.augmentations`` item (and of a composer's ``transforms``) is an
albumentations class name: a number, null or a list given as the name is an error naming the
item, not a ``TypeError`` from the lookup of the class."""

import re

import pytest

from detseg.data.transforms import build_transforms


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ([{"name": 5}], "augmentations[0]"),
        ([{"name": None, "p": 0.5}], "augmentations[0]"),
        ([{"name": "HorizontalFlip"}, {"name": ["VerticalFlip"]}], "augmentations[1]"),
        ([{"name": "OneOf", "transforms": [{"name": 1.5}]}], "augmentations[0].OneOf[0]"),
    ],
)
def test_a_name_that_is_no_text_names_the_item(spec, where) -> None:
    with pytest.raises(
        ValueError,
        match=rf"^{re.escape(where)}: each augmentation "
        r"must be a dict with a 'name' \(an albumentations class",
    ):
        build_transforms(spec)


def test_a_named_augmentation_still_builds() -> None:
    (flip,) = build_transforms([{"name": "HorizontalFlip", "p": 0.5}])
    assert type(flip).__name__ == "HorizontalFlip"
