"""``model_checkpoint``: a model trained in the user's own code becomes a checkpoint that
``load_model`` and ``detseg.load`` rebuild; a config that does not rebuild it is refused."""

from __future__ import annotations

import pytest
import torch

import detseg
from detseg.config import ConfigError, config_from_dict
from detseg.detection.retinanet import retinanet
from detseg.engine.checkpointing import (
    CheckpointError,
    load_model,
    model_checkpoint,
    save_checkpoint,
)
from detseg.models import MODELS, build_model

CLASSES = ["circle", "square"]
SECTION = {"name": "retinanet", "backbone": "resnet18", "min_size": 64, "max_size": 64}


def test_a_model_built_by_name_round_trips(tmp_path):
    torch.manual_seed(0)
    model = build_model(SECTION, len(CLASSES))
    state = model_checkpoint(model, {"model": SECTION}, CLASSES, cat_ids=[3, 7])
    assert set(state) == {"model", "config", "classes", "meta"}
    assert state["meta"]["cat_ids"] == [3, 7]
    assert state["config"]["model"]["name"] == "retinanet"
    save_checkpoint(tmp_path / "mine.pt", state)
    loaded, config, classes = load_model(tmp_path / "mine.pt", "cpu")
    assert classes == CLASSES and config["model"]["min_size"] == 64
    for key, value in model.state_dict().items():
        assert torch.equal(loaded.state_dict()[key], value), key
    predictor = detseg.load(tmp_path / "mine.pt", device="cpu")
    assert predictor.category_ids == [3, 7]


def test_a_config_object_is_taken_as_it_is():
    cfg = config_from_dict({"model": SECTION, "device": "cpu"})
    model = build_model(cfg.model.builder_dict(), len(CLASSES))
    state = model_checkpoint(model, cfg, CLASSES)
    assert state["config"] == cfg.to_dict()
    assert state["meta"]["cat_ids"] is None


def test_a_model_the_section_does_not_rebuild_is_refused():
    other = retinanet(len(CLASSES), backbone="resnet18", head_convs=1, min_size=64, max_size=64)
    with pytest.raises(CheckpointError, match="does not rebuild this model .*MODELS"):
        model_checkpoint(other, {"model": SECTION}, CLASSES)
    model = build_model(SECTION, len(CLASSES))
    with pytest.raises(CheckpointError, match="3 classes"):  # the class layers differ
        model_checkpoint(model, {"model": SECTION}, [*CLASSES, "star"])


def test_classes_and_cat_ids_are_checked():
    model = build_model(SECTION, len(CLASSES))
    with pytest.raises(CheckpointError, match="classes is empty"):
        model_checkpoint(model, {"model": SECTION}, [])
    with pytest.raises(CheckpointError, match="1 cat_ids for 2 classes"):
        model_checkpoint(model, {"model": SECTION}, CLASSES, cat_ids=[1])


def test_an_unknown_model_name_is_a_config_error():
    model = build_model(SECTION, len(CLASSES))
    with pytest.raises(ConfigError, match="unknown model.name 'my_net'"):
        model_checkpoint(model, {"model": {"name": "my_net"}}, CLASSES)


def test_a_builder_added_to_models_is_rebuilt(tmp_path, monkeypatch):
    def small_retinanet(num_classes: int, size: int = 64):
        return retinanet(num_classes, backbone="resnet18", min_size=size, max_size=size)

    monkeypatch.setitem(MODELS, "small_retinanet", small_retinanet)
    model = small_retinanet(len(CLASSES))
    state = model_checkpoint(model, {"model": {"name": "small_retinanet", "size": 64}}, CLASSES)
    save_checkpoint(tmp_path / "mine.pt", state)
    loaded, _, _ = load_model(tmp_path / "mine.pt", "cpu")
    assert type(loaded) is type(model)
