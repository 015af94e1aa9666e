"""Resuming with a config whose model does not fit ``last.pt`` (another model, other classes)
is one line naming ``last.pt``, the mismatch and the run's ``config.yaml``; nothing is changed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from random_checkpoints import write_checkpoint
from tiny_detector import tiny_faster_rcnn

from detseg.config import load_config
from detseg.engine.checkpointing import CheckpointError, load_checkpoint
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.model_setup import DeviceSettings, build_run_model

REPO = Path(__file__).resolve().parents[3]
TINY = [*tiny_faster_rcnn(), "device=cpu"]


def _run_dir(tmp_path: Path) -> Path:
    work_dir = tmp_path / "run"
    work_dir.mkdir()
    write_checkpoint(work_dir / "last.pt", "configs/demo.yaml", TINY)
    (work_dir / "config.yaml").write_text("the run's own config\n")
    return work_dir


def _build(work_dir: Path, overrides: list[str], num_classes: int = 5, resume: bool = True):
    cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, *overrides])
    cfg.work_dir = str(work_dir)
    return build_run_model(
        cfg,
        num_classes,
        "detection",
        torch.device("cpu"),
        DistInfo(),
        settings=DeviceSettings(),
        resume=resume,
    )


@pytest.mark.parametrize(
    ("overrides", "num_classes", "summary"),
    [
        ([], 3, r"tensors differ: .*of another shape, e\.g\. roi_heads\..* in the file"),
        (["model.representation_size=16"], 5, r"tensors differ"),
    ],
)
def test_a_config_that_does_not_fit_last_pt_is_one_line(tmp_path, overrides, num_classes, summary):
    work_dir = _run_dir(tmp_path)
    before = (work_dir / "last.pt").read_bytes()
    with pytest.raises(CheckpointError, match=summary) as info:
        _build(work_dir, overrides, num_classes)
    message = str(info.value)
    assert "\n" not in message and len(message) < 400 + 3 * len(str(work_dir))
    assert message.startswith(f"cannot resume from {work_dir / 'last.pt'}: ")
    assert str(work_dir / "config.yaml") in message
    assert (work_dir / "last.pt").read_bytes() == before
    assert (work_dir / "config.yaml").read_text() == "the run's own config\n"


def _shapes(state: dict) -> dict:
    return {name: tuple(tensor.shape) for name, tensor in state.items()}


def test_a_fitting_config_resumes_and_a_new_run_is_not_checked(tmp_path):
    work_dir = _run_dir(tmp_path)
    before = (work_dir / "last.pt").read_bytes()
    saved = load_checkpoint(work_dir / "last.pt")["model"]
    resumed = _build(work_dir, [], 5)
    assert _shapes(resumed.state_dict()) == _shapes(saved)
    resumed.load_state_dict(saved)  # strict: the resume can load it
    new = _build(work_dir, [], 2, resume=False)  # a new run's model is not last.pt's
    assert _shapes(new.state_dict()).keys() == _shapes(saved).keys()
    assert _shapes(new.state_dict()) != _shapes(saved)  # it would have been refused
    assert (work_dir / "last.pt").read_bytes() == before


def test_an_unreadable_last_pt_is_left_to_the_resume(tmp_path):
    work_dir = _run_dir(tmp_path)
    (work_dir / "last.pt").write_bytes(b"")
    model = _build(work_dir, [], 2)
    with pytest.raises(CheckpointError):  # the resume itself reports it, then falls back
        load_checkpoint(work_dir / "last.pt")
    assert isinstance(model, torch.nn.Module)
    assert (work_dir / "last.pt").read_bytes() == b""  # only read, never replaced
    assert (work_dir / "config.yaml").read_text() == "the run's own config\n"


def test_an_older_copy_that_does_not_fit_is_one_line(tmp_path):
    """last.pt unreadable, last.1.pt of another class count: the copy the resume falls back to
    is named, with the mismatch and the run's config.yaml."""
    from types import SimpleNamespace

    from detseg.engine.training.run_start import resume_run

    work_dir = _run_dir(tmp_path)
    (work_dir / "last.pt").rename(work_dir / "last.1.pt")
    (work_dir / "last.pt").write_bytes(b"")
    model = _build(work_dir, [], 3, resume=False)
    run = SimpleNamespace(work_dir=work_dir, dist=DistInfo(), model=model)
    with pytest.raises(CheckpointError, match=r"tensors differ") as info:
        resume_run(run)
    message = str(info.value)
    assert message.startswith(f"cannot resume from {work_dir / 'last.1.pt'}: ")
    assert "\n" not in message and str(work_dir / "config.yaml") in message
