"""The size a segmenter trained at, read from its config's augmentations (the default export
size): the last fixed-size crop or resize, raised by a later padding; a letterbox (longest side
bounded, then padded); transforms that never run (``p: 0``) and choices (``OneOf``) left out."""

from __future__ import annotations

import pytest

from detseg.export.example_input import trained_size


def _crop(side, **extra):
    return {"name": "RandomCrop", "height": side, "width": side, **extra}


def _pad(side):
    return {"name": "PadIfNeeded", "min_height": side, "min_width": side}


@pytest.mark.parametrize(
    ("augmentations", "size"),
    [
        ([_crop(256)], (256, 256)),
        ([{"name": "Resize", "size": [300, 200]}], (300, 200)),
        ([_crop(256), _pad(320)], (320, 320)),  # the padding is what the model sees
        ([_pad(320), _crop(256)], (256, 256)),
        ([{"name": "LongestMaxSize", "max_size": 384}, _pad(384)], (384, 384)),
        ([{"name": "LongestMaxSize", "max_size": 512}, _pad(384)], None),  # not padded to one size
        ([_crop(256, p=0.0)], None),
        ([{"name": "OneOf", "transforms": [_crop(256)]}], None),
        ([{"name": "HorizontalFlip"}], None),
        (None, None),
    ],
)
def test_the_training_size_of_an_augmentation_list(augmentations, size):
    assert trained_size(augmentations) == size
