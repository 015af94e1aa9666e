"""The loss and input sections of the segmentation builders (detseg.segmentation.settings)."""

from __future__ import annotations

import inspect

import pytest

from detseg.backbones.weights import IMAGENET_MEAN, IMAGENET_STD
from detseg.models import build_model
from detseg.segmentation import SEGMENTATION_MODELS, SegmentationInputConfig
from detseg.segmentation.builders import unet
from detseg.segmentation.settings import (
    MOVED_KEYS,
    SegmentationLossConfig,
    check_moved_keys,
    input_config,
    loss_config,
)

TINY = {"depth": 2, "base_channels": 4}


def test_defaults_are_cross_entropy_and_imagenet_normalisation():
    model = unet(3, **TINY)
    assert (model.loss.kind, model.loss.dice_weight, model.loss.boundary_weight) == ("ce", 1, 1)
    assert (model.loss_size, model.target_downsampling) == ("input", "nearest")
    assert model.image_mean.flatten().tolist() == pytest.approx(IMAGENET_MEAN)
    assert model.image_std.flatten().tolist() == pytest.approx(IMAGENET_STD)
    assert not model.per_image_norm and model.input_scale == 1.0


def test_every_builder_takes_the_two_sections():
    for name, builder in SEGMENTATION_MODELS.items():
        params = set(inspect.signature(builder).parameters)  # presets: their family's
        assert {"loss", "input"} <= params, name
        assert not set(MOVED_KEYS) & params, name


def test_dicts_and_dataclasses_give_the_same_model():
    loss = {"kind": "ce+dice", "dice_weight": 0.5, "size": "network", "boundary_weight": 2.0}
    inputs = {"image_mean": [0.5, 0.5, 0.5], "per_image_norm": True, "scale": 0.5}
    from_dicts = unet(3, **TINY, loss=loss, input=inputs)
    from_classes = unet(3, **TINY, loss=SegmentationLossConfig(**loss), input=input_config(inputs))
    for model in (from_dicts, from_classes):
        assert (model.loss.kind, model.loss.dice_weight, model.loss.boundary_weight) == (
            "ce+dice",
            0.5,
            2.0,
        )
        assert model.loss_size == "network" and model.per_image_norm and model.input_scale == 0.5
        assert model.image_mean.flatten().tolist() == [0.5, 0.5, 0.5]
    assert input_config(inputs).image_mean == (0.5, 0.5, 0.5)  # YAML lists become tuples


def test_section_errors_name_the_key():
    with pytest.raises(ValueError, match=r"unknown key 'dice_wieght' in model.loss; did you mean"):
        loss_config({"dice_wieght": 2.0})
    with pytest.raises(ValueError, match=r"unknown key 'input_scale' in model.input; did you"):
        unet(3, **TINY, input={"input_scale": 0.5})
    with pytest.raises(ValueError, match="model.loss moved: set model.loss.kind"):
        unet(3, **TINY, loss="ce+dice")
    with pytest.raises(ValueError, match="model.input.image_mean and image_std need 3 values"):
        SegmentationInputConfig(image_std=(0.2, 0.2, 0.0))


def test_flat_keys_name_their_section():
    check_moved_keys({"depth": 2, "loss": {"kind": "dice"}})  # the sections themselves pass
    for key, new_key in MOVED_KEYS.items():
        with pytest.raises(ValueError, match=f"^model.{key} moved: set model.{new_key}$"):
            check_moved_keys({key: 1})
    with pytest.raises(ValueError, match="model.dice_weight moved: set model.loss.dice_weight"):
        build_model({"name": "unet", "dice_weight": 2.0}, 3)  # a checkpoint's model section
