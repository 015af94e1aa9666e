"""``detseg.load`` of a wrong path: one line naming the path and what ``load`` takes (a
checkpoint or its run folder), as a notebook shows it."""

from __future__ import annotations

import re
import shutil

import pytest

import detseg
from detseg.engine.checkpointing import CheckpointError

TAKES = "give a best.pt / last.pt written by detseg-train (tools/train.py), or its run folder"


def test_a_missing_path_says_what_to_give(tmp_path):
    missing = tmp_path / "runs" / "demo" / "best.pt"
    with pytest.raises(FileNotFoundError, match=re.escape(f"{missing}; {TAKES}")):
        detseg.load(missing, device="cpu")
    with pytest.raises(CheckpointError, match=re.escape(f"{tmp_path / 'nope'}; {TAKES}")):
        detseg.load(tmp_path / "nope", device="cpu")


def test_a_text_or_empty_file_says_what_to_give(tmp_path):
    notes = tmp_path / "config.yaml"
    notes.write_text("model:\n  name: retinanet\n")
    with pytest.raises(CheckpointError, match=re.escape(f"{notes} is not a checkpoint")) as info:
        detseg.load(notes, device="cpu")
    assert str(info.value).endswith(TAKES)
    (tmp_path / "empty.pt").write_bytes(b"")
    with pytest.raises(CheckpointError, match=re.escape(f"is empty (0 bytes); {TAKES}")):
        detseg.load(tmp_path / "empty.pt", device="cpu")


def test_a_name_without_its_pt_suffix_names_the_file(detector_checkpoint, tmp_path):
    shutil.copy(detector_checkpoint, tmp_path / "best.pt")
    message = f"checkpoint not found: {tmp_path / 'best'}; give {tmp_path / 'best.pt'}"
    with pytest.raises(FileNotFoundError, match=re.escape(message)):
        detseg.load(tmp_path / "best", device="cpu")


@pytest.mark.parametrize("given", [None, 3, {"model": {}}])
def test_a_checkpoint_that_is_no_path_is_named(given):
    kind = f"builtins.{type(given).__name__}"
    with pytest.raises(TypeError, match=re.escape(f"got a {kind}; {TAKES}")):
        detseg.load(given, device="cpu")
