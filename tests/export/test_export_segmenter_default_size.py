"""A segmenter checkpoint's static export takes the size it was trained at by default: the last
fixed-size crop or resize of its config's augmentations (``configs/segmentation/unet_shapes.yaml``
crops 256 px, the size of the shapes images), not 512 whatever the config; a model given from
Python, or a config without such a crop, keeps 512. ``--input-size`` still wins."""

from __future__ import annotations

import pytest
from random_checkpoints import TINY_UNET, write_checkpoint

from detseg.export import export_model
from detseg.export.example_input import trained_size

from .conftest import build_tiny


@pytest.fixture(scope="module")
def unet_checkpoint(tmp_path_factory):
    path = tmp_path_factory.mktemp("unet") / "best.pt"
    crop = "data.augmentations=[{name: RandomCrop, height: 48, width: 64}]"
    return write_checkpoint(path, "configs/segmentation/unet_shapes.yaml", [*TINY_UNET, crop])


def test_a_checkpoint_exports_at_its_training_crop(unet_checkpoint, tmp_path):
    result = export_model(unet_checkpoint, tmp_path / "u.pt", format="torchscript")
    assert result.input_size == (48, 64)
    given = export_model(
        unet_checkpoint, tmp_path / "v.pt", format="torchscript", input_size=(32, 32)
    )
    assert given.input_size == (32, 32)


def test_a_model_from_python_keeps_512(tmp_path):
    result = export_model(build_tiny("unet"), tmp_path / "u.pt", format="torchscript")
    assert result.input_size == (512, 512)


def test_the_last_sized_transform_is_the_training_size():
    augmentations = [
        {"name": "PadIfNeeded", "min_height": 256, "min_width": 256},
        {"name": "RandomCrop", "height": 256, "width": 256},
        {"name": "HorizontalFlip", "p": 0.5},
        {"name": "RandomResizedCrop", "size": [128, 96]},
    ]
    assert trained_size(augmentations) == (128, 96)
    assert trained_size(augmentations[:3]) == (256, 256)
    assert trained_size([{"name": "HorizontalFlip"}]) is None and trained_size(None) is None
