"""LR-ASPP has no auxiliary head: ``aux_loss=True`` gets one line saying so, from Python (not
a bare ``TypeError`` about an unexpected keyword) and when a config is loaded;
``aux_loss=False`` is accepted, as torchvision's ``lraspp_mobilenet_v3_large`` accepts it."""

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.segmentation import lraspp

CONFIG = (
    Path(__file__).resolve().parents[2]
    / "configs"
    / "segmentation"
    / "deeplabv3_mobilenet_v3_shapes.yaml"
)


def test_python_call_with_aux_loss_says_there_is_no_aux_head() -> None:
    with pytest.raises(ValueError, match="lraspp has no auxiliary head") as info:
        lraspp(2, aux_loss=True)
    assert "\n" not in str(info.value)


def test_aux_loss_false_builds_the_model() -> None:
    model = lraspp(2, aux_loss=False, width_mult=0.25, inter_channels=8)
    assert model.aux_head is None


@pytest.mark.parametrize("name", ["lraspp", "lraspp_mobilenet_v3_large"])
def test_config_with_aux_loss_fails_when_loaded(name) -> None:
    # the config sets aux_loss: true for DeepLabV3; switching to LR-ASPP keeps it
    with pytest.raises(ConfigError, match=r"'model.aux_loss' = True: lraspp has no aux") as info:
        load_config(CONFIG, [f"model.name={name}"])
    assert "\n" not in str(info.value)


def test_config_with_aux_loss_false_loads() -> None:
    config = load_config(CONFIG, ["model.name=lraspp", "model.aux_loss=false"])
    assert config.model.kwargs["aux_loss"] is False


def test_config_with_aux_loss_null_drops_it() -> None:
    config = load_config(CONFIG, ["model.name=lraspp", "model.aux_loss=null"])
    assert "aux_loss" not in config.model.kwargs
