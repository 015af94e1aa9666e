"""An unknown model name: the message suggests the closest name and says where a builder of
one's own goes."""

from __future__ import annotations

import pytest

from detseg.models import MODELS, build_model


def test_an_unknown_name_points_to_models():
    with pytest.raises(ValueError) as info:
        build_model({"name": "tiny_faster_rcnn"}, num_classes=2)
    message = str(info.value)
    assert "unknown model 'tiny_faster_rcnn'; did you mean 'faster_rcnn'?" in message
    assert "detseg.models.MODELS first, from Python" in message and "docs/" not in message


def test_a_builder_added_to_models_is_built_by_name(monkeypatch):
    built = []

    def toy(num_classes: int, width: int = 4):
        built.append((num_classes, width))
        return object()

    monkeypatch.setitem(MODELS, "toy", toy)
    build_model({"name": "toy", "width": 8}, num_classes=3)
    assert built == [(3, 8)]
    with pytest.raises(ValueError, match="model 'toy' has no parameter 'depth'"):
        build_model({"name": "toy", "depth": 2}, num_classes=3)


def test_a_checkpoint_of_an_unknown_model_is_named(tmp_path):
    from detseg.config import ConfigError, load_config
    from detseg.engine.checkpointing import CheckpointError, model_from_checkpoint

    state = {"model": {}, "config": {"model": {"name": "my_net"}}, "classes": ["a"], "meta": {}}
    with pytest.raises(CheckpointError, match=r"^runs/mine.pt: unknown model 'my_net'"):
        model_from_checkpoint(state, "cpu", source="runs/mine.pt")
    config = tmp_path / "mine.yaml"
    config.write_text("model: {name: my_net}\n")
    with pytest.raises(ConfigError, match=r"torchrun workers, processes of their own, do not\)$"):
        load_config(config)
