"""A file with the four checkpoint keys whose entries are not what training writes (another
framework's config kept as YAML text, no class list, no model section) is one line naming the
file and the entry, from ``load_checkpoint`` and from ``load_model``; not an ``AttributeError``,
``TypeError`` or ``KeyError`` from deep inside the model rebuild."""

from __future__ import annotations

import pytest
import torch

from detseg.engine.checkpointing import CheckpointError, load_checkpoint, save_checkpoint
from detseg.engine.checkpointing.model_files import load_model


def _state(**entries) -> dict:
    state = {
        "model": {"w": torch.ones(2)},
        "config": {"model": {"name": "faster_rcnn"}},
        "classes": ["a"],
        "meta": {},
    }
    return {**state, **entries}


@pytest.mark.parametrize(
    ("entries", "reason"),
    [
        ({"config": "model:\n  name: faster_rcnn\n"}, "'config' is of type str, not a config dict"),
        ({"classes": None}, "'classes' is of type NoneType, not a list of class names"),
        ({"model": [torch.ones(2)]}, "'model' is of type list, not a state dict"),
        ({"meta": 3}, "'meta' is of type int, not a dict"),
    ],
)
def test_an_entry_of_another_type_is_one_line(tmp_path, entries, reason):
    path = tmp_path / "other.pt"
    save_checkpoint(path, _state(**entries))
    for load in (load_checkpoint, lambda p: load_model(p, "cpu")):
        with pytest.raises(CheckpointError) as info:
            load(path)
        message = str(info.value)
        assert message.startswith(f"{path}: not a detseg checkpoint, {reason}; ")
        assert "\n" not in message


def test_a_config_without_a_model_section_is_one_line(tmp_path):
    path = tmp_path / "no_model.pt"
    save_checkpoint(path, _state(config={"train": {}}))
    assert load_checkpoint(path)["config"] == {"train": {}}  # a checkpoint, but no model to build
    with pytest.raises(CheckpointError, match=r"its config has no model section") as info:
        load_model(path, "cpu")
    assert str(info.value).startswith(f"{path}: ")
