"""What is not a checkpoint gets one clear line: empty, text, folder, TorchScript or ONNX export,
a file cut short, pickled objects; never a torch warning or torch's advice to drop
``weights_only``. Through ``run_command`` it is one ``name: error: ...`` line and exit code 2."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest
import torch
from torch import nn

from detseg.command_line import run_command
from detseg.engine.checkpointing import CheckpointError, load_checkpoint, save_checkpoint


def _state() -> dict:
    return {"model": {"w": torch.ones(2)}, "config": {}, "classes": ["a"], "meta": {}}


def _torchscript(path: Path) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)  # torch.jit is deprecated in torch 2.9+
        torch.jit.save(torch.jit.trace(nn.Linear(2, 1), torch.zeros(1, 2)), str(path))
    return path


def _empty(path: Path) -> Path:
    path.write_bytes(b"")
    return path


def _text(path: Path) -> Path:
    path.write_text("model: faster_rcnn\n")
    return path


def _onnx_like(path: Path) -> Path:
    # ModelProto: ir_version 8, producer_name "pytorch", producer_version "2.4", graph ...
    path.write_bytes(b"\x08\x08\x12\x07pytorch\x1a\x032.4:\xf2\x01\x0a\x43" + bytes(200))
    return path


def _truncated(path: Path) -> Path:
    save_checkpoint(path, _state())
    path.write_bytes(path.read_bytes()[:300])
    return path


def _folder(path: Path) -> Path:
    path.mkdir()
    return path


#: file name -> (what writes it, the message it must start with; {} is the path)
CASES = {
    "empty.pt": (_empty, "{} is empty (0 bytes)"),
    "notes.pt": (_text, "{} is not a checkpoint (a text file?)"),
    "run.pt": (_folder, "{} is a folder; give a best.pt / last.pt file"),
    "ts.pt": (
        _torchscript,
        "{} is a TorchScript export, not a training checkpoint; give best.pt or last.pt",
    ),
    "model.onnx": (
        _onnx_like,
        "{} is an ONNX export, not a training checkpoint; give best.pt or last.pt",
    ),
    "cut.pt": (_truncated, "{} is corrupt: cut short or damaged"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_not_a_checkpoint_is_one_clear_line_without_warnings(name, tmp_path):
    make, expected = CASES[name]
    path = tmp_path / name
    make(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(CheckpointError) as info:
            load_checkpoint(path)
    message = str(info.value)
    assert message.startswith(expected.format(path)), message
    assert "\n" not in message and "weights_only" not in message
    assert not caught, [str(w.message) for w in caught]


def test_pickled_objects_lose_torchs_advice(tmp_path):
    path = tmp_path / "evil.pt"
    torch.save({**_state(), "meta": {"obj": random.Random(0)}}, path)
    with pytest.raises(CheckpointError) as info:
        load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message and "random.Random" in message
    assert "weights_only" not in message and "\n" not in message


def test_a_real_checkpoint_still_loads(tmp_path):
    path = tmp_path / "best.pt"
    save_checkpoint(path, _state())
    assert torch.equal(load_checkpoint(path)["model"]["w"], torch.ones(2))


def test_a_torchscript_file_given_to_a_tool_is_one_line_and_exit_2(tmp_path, capsys):
    path = _torchscript(tmp_path / "ts.pt")
    with pytest.raises(SystemExit) as info:
        run_command(lambda: load_checkpoint(path) and 0, "infer")
    assert info.value.code == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == (
        f"infer: error: {path} is a TorchScript export, not a training checkpoint; "
        "give best.pt or last.pt\n"
    )
