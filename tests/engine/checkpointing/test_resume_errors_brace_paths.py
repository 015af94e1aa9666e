"""A refused resume names its paths as they are, in both its forms: a ``{resume}`` or
``{work_dir}`` in a folder's name is text, no setting of the message (``str(error)`` names the
settings as keywords, ``error.naming(TRAIN_FLAGS)`` as ``tools/train.py``'s flags)."""

from __future__ import annotations

import pytest
import torch
from tool_modules import load_tool

from detseg.engine.checkpointing import CheckpointError, load_resumable, save_checkpoint
from detseg.engine.checkpointing.resume_state import check_resume_entries
from detseg.engine.training.run_start import check_resumable


@pytest.fixture(scope="module")
def train_flags() -> dict[str, str]:
    return load_tool("train.py").TRAIN_FLAGS


def _both_forms(error: CheckpointError, train_flags: dict[str, str]) -> tuple[str, str]:
    return str(error), error.naming(train_flags)  # type: ignore[attr-defined]


def test_work_dir_without_last_pt_names_its_braces(tmp_path, train_flags):
    work_dir = tmp_path / "a{resume}b{work_dir}"
    work_dir.mkdir()
    with pytest.raises(CheckpointError) as caught:
        check_resumable(work_dir)
    python, tool = _both_forms(caught.value, train_flags)
    assert python == (
        f"cannot resume: the work dir {work_dir} holds no last.pt (nor an older copy "
        "last.<k>.pt); start without resume=True, or point work_dir at the run's folder"
    )
    assert tool == (
        f"cannot resume: the work dir {work_dir} holds no last.pt (nor an older copy "
        "last.<k>.pt); start without --resume, or point --work-dir at the run's folder"
    )


def test_moved_last_pt_names_its_braces(tmp_path, train_flags):
    work_dir = tmp_path / "a{resume}b"
    (work_dir / "previous_last.1").mkdir(parents=True)
    with pytest.raises(CheckpointError) as caught:
        check_resumable(work_dir)
    for message in _both_forms(caught.value, train_flags):
        assert f"the work dir {work_dir} holds" in message
        assert f"was moved to {work_dir / 'previous_last.1'} when" in message


def test_unreadable_copies_name_their_braces(tmp_path, train_flags):
    path = tmp_path / "a{resume}b" / "last.pt"
    path.parent.mkdir()
    save_checkpoint(path, {"model": {"w": torch.zeros(1)}, "config": {}, "classes": ["a"]})
    path.write_bytes(path.read_bytes()[:100])  # cut short, no older copy
    with pytest.raises(CheckpointError) as caught:
        load_resumable(path)
    python, tool = _both_forms(caught.value, train_flags)
    for message in (python, tool):
        assert str(path) in message
        assert "a{resume}b" in message and "a--resume" not in message
    assert python.endswith("Start without resume=True, or point work_dir at the run's folder.")
    assert tool.endswith("Start without --resume, or point --work-dir at the run's folder.")


@pytest.mark.parametrize(
    ("state", "ema"),
    [
        ({"model": {}}, False),  # no training state
        ({"model": {}, "optimizer": {}, "scheduler": {}, "scaler": {}, "rng": {}}, True),  # no EMA
        (
            {"model": {}, "optimizer": {}, "scheduler": {}, "scaler": {}, "rng": {}, "meta": {}},
            False,
        ),  # no meta["run"], no lr_lambdas
    ],
    ids=["no_training_state", "no_ema", "mistyped_entries"],
)
def test_checkpoint_entries_name_the_source_as_it_is(tmp_path, train_flags, state, ema):
    source = tmp_path / "{work_dir}" / "last.pt"
    with pytest.raises(CheckpointError) as caught:
        check_resume_entries(state, source, ema=ema)
    python, tool = _both_forms(caught.value, train_flags)
    assert python.startswith(f"cannot resume from {source}")
    assert tool.startswith(f"cannot resume from {source}")
    assert "--resume" in tool and "resume=True" in python
