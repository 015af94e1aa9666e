"""The items of a model's lists of widths and dilations (``model.mask_layers``,
``model.decoder_channels``, ``model.atrous_rates``) are whole numbers >= 1, checked when the
config is loaded, before the data loads, in one line naming the key (a 0 built a 0-channel
layer or a 0-dilation convolution, which failed only when the model was built)."""

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config

CONFIGS = Path(__file__).resolve().parents[2] / "configs"


@pytest.mark.parametrize(
    ("config", "override", "key"),
    [
        ("segmentation/deeplabv3plus_shapes.yaml", "model.atrous_rates=[0,6,9]", "atrous_rates"),
        ("segmentation/deeplabv3plus_shapes.yaml", "model.atrous_rates=[6,-12]", "atrous_rates"),
        (
            "segmentation/deeplabv3_mobilenet_v3_shapes.yaml",
            "model.atrous_rates=[0]",
            "atrous_rates",
        ),
        ("mask_rcnn/mask_rcnn_shapes.yaml", "model.mask_layers=[64,0]", "mask_layers"),
        (
            "segmentation/unet_resnet34_voc.yaml",
            "model.decoder_channels=[256,0,64,32]",
            "decoder_channels",
        ),
    ],
)
def test_items_below_one_are_refused_at_load(config, override, key) -> None:
    with pytest.raises(
        ConfigError, match=rf"'model.{key}' must be a list of whole numbers >= 1"
    ) as info:
        load_config(CONFIGS / config, [override])
    assert "\n" not in str(info.value)


def test_the_configs_lists_and_null_still_load() -> None:
    config = load_config(
        CONFIGS / "segmentation" / "unet_resnet34_voc.yaml", ["model.decoder_channels=null"]
    )
    assert config.model.kwargs["decoder_channels"] is None
    rates = load_config(CONFIGS / "segmentation" / "deeplabv3plus_shapes.yaml")
    assert rates.model.kwargs["atrous_rates"] == [6, 12, 18]
