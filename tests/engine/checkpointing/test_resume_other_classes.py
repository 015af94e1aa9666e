"""Resuming with data whose class names differ from the run's (``data.classes`` reordered or
renamed, another dataset with as many classes) is one line naming ``last.pt``, both class
lists and the run's ``config.yaml``, before anything is written: the weights would fit, but
the resumed run would label them with the other names."""

from __future__ import annotations

import pytest
from torch import nn

from detseg.engine.checkpointing import CheckpointError, save_checkpoint
from detseg.engine.training.model_setup import check_resume_weights


@pytest.fixture
def last(tmp_path):
    model = nn.Linear(2, 3)
    state = {"model": model.state_dict(), "config": {}, "classes": ["cat", "dog"], "meta": {}}
    save_checkpoint(tmp_path / "last.pt", state)
    return model, tmp_path / "last.pt"


def test_other_class_names_are_refused_in_one_line(last):
    model, path = last
    with pytest.raises(CheckpointError) as info:
        check_resume_weights(model, path, {}, classes=["dog", "cat"])
    message = str(info.value)
    assert message.startswith(f"cannot resume from {path}: ")
    assert "['cat', 'dog']" in message and "['dog', 'cat']" in message
    assert str(path.parent / "config.yaml") in message and "\n" not in message


def test_the_same_class_names_resume(last):
    """Not refused, and ``last.pt`` is only read: nothing is written beside it."""
    model, path = last
    saved = path.read_bytes()
    assert check_resume_weights(model, path, {}, classes=["cat", "dog"]) is None
    assert check_resume_weights(model, path, {}) is None  # no classes given: not compared
    assert path.read_bytes() == saved
    assert [p.name for p in path.parent.iterdir()] == ["last.pt"]


def test_the_older_copy_a_damaged_last_pt_falls_back_to_is_checked(tmp_path):
    model = nn.Linear(2, 3)
    state = {"model": model.state_dict(), "config": {}, "classes": ["cat", "dog"], "meta": {}}
    save_checkpoint(tmp_path / "last.1.pt", state)
    (tmp_path / "last.pt").write_bytes(b"cut short")
    refused = r"cannot resume from .*last\.1\.pt: .*\['dog', 'cat'\]"
    with pytest.raises(CheckpointError, match=refused):
        check_resume_weights(model, tmp_path / "last.pt", {}, classes=["dog", "cat"])
    assert (tmp_path / "last.pt").read_bytes() == b"cut short"  # only read: the resume moves it
    check_resume_weights(model, tmp_path / "last.pt", {}, classes=["cat", "dog"])
