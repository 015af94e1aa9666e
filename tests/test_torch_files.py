"""The one reader of checkpoint and state-dict files (``read_torch_file``) and the one-line
summary of tensors that do not fit a model (``state_mismatch``)."""

from __future__ import annotations

import pickle
import re
import warnings

import pytest
import torch
from torch import nn

from detseg.engine.checkpointing import CheckpointError, model_from_checkpoint
from detseg.torch_files import (
    TRAIN_CHECKPOINT,
    load_state_error,
    read_torch_file,
    state_mismatch,
)


def test_a_torch_file_reads_back(tmp_path):
    torch.save({"w": torch.ones(2)}, tmp_path / "w.pth")
    assert torch.equal(read_torch_file(tmp_path / "w.pth")["w"], torch.ones(2))


def test_what_torch_cannot_read_is_one_line_saying_what_to_give(tmp_path):
    path = tmp_path / "plain.pkl"
    path.write_bytes(pickle.dumps({"a": 1}, protocol=4))  # torch warns about the protocol
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CheckpointError) as info:
            read_torch_file(path, give="weights")
    assert str(info.value) == f"{path} is not a checkpoint (Unsupported operand 149); give weights"
    assert not caught, [str(w.message) for w in caught]
    with pytest.raises(CheckpointError, match=f"; give {re.escape(TRAIN_CHECKPOINT)}$"):
        read_torch_file(path)


def test_the_file_checks_end_with_what_to_give(tmp_path):
    (tmp_path / "notes.pt").write_text("hello\n")
    (tmp_path / "empty.pt").write_bytes(b"")
    cases = {
        tmp_path / "notes.pt": "is not a checkpoint (a text file?); give X",
        tmp_path / "empty.pt": "is empty (0 bytes); give X",
        tmp_path: "is a folder; give X",
    }
    for path, said in cases.items():
        with pytest.raises(CheckpointError) as info:
            read_torch_file(path, give="X")
        assert str(info.value) == f"{path} {said}"


def test_state_mismatch_counts_what_differs():
    model = {"a": torch.zeros(2, 3), "b": torch.zeros(4), "bn.num_batches_tracked": torch.zeros(())}
    assert state_mismatch(model, {"a": torch.ones(2, 3), "b": torch.ones(4)}) is None
    assert state_mismatch(model, {"a": torch.ones(2, 3), "b": torch.ones(4)}, ()) == (
        "1 tensor differs: 1 missing, e.g. missing bn.num_batches_tracked"
    )
    given = {"a": torch.ones(5, 3), "c": torch.ones(1), "d": torch.ones(1)}
    assert state_mismatch(model, given) == (
        "4 tensors differ: 1 missing, 2 unexpected, 1 of another shape, "
        "e.g. a [5, 3] in the file, [2, 3] here"
    )
    assert state_mismatch({}, {"x": "text"}) == "1 tensor differs: 1 unexpected, e.g. unexpected x"


def test_load_state_error_keeps_the_first_reason():
    error = RuntimeError(
        "Error(s) in loading state_dict for Net:\n\tsize mismatch for a: copying ...\n\tmore"
    )
    assert load_state_error(error) == "size mismatch for a: copying ..."
    assert len(load_state_error(RuntimeError("x" * 500))) == 200


def test_weights_that_do_not_fit_the_model_are_summed_up(monkeypatch):
    import detseg.models

    monkeypatch.setattr(detseg.models, "build_model", lambda section, k: nn.Linear(3, k))
    state = {
        "model": {"weight": torch.zeros(4, 3)},
        "config": {"model": {"name": "linear"}},
        "classes": ["a", "b"],
        "meta": {},
    }
    with pytest.raises(CheckpointError) as info:
        model_from_checkpoint(state, "cpu", source="best.pt")
    assert str(info.value) == (
        "best.pt: weights do not fit the configured model (2 tensors differ: 1 missing, "
        "1 of another shape, e.g. weight [4, 3] in the file, [2, 3] here)"
    )


def test_a_whole_pickled_model_says_to_save_its_state_dict(tmp_path):
    path = tmp_path / "model.pth"
    torch.save(torch.nn.Conv2d(1, 1, 1), path)  # torch.save(model), not model.state_dict()
    with pytest.raises(CheckpointError) as info:
        read_torch_file(path, "weights")
    message = str(info.value)
    assert "whole pickled model (torch.nn.modules.conv.Conv2d)" in message
    assert "model.state_dict()" in message and str(path) in message and "\n" not in message
