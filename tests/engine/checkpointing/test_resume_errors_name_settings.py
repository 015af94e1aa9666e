"""A refused resume says how to start or resume differently, naming the settings as the caller
gave them: ``resume=True`` and ``work_dir`` to :func:`detseg.engine.train` from Python,
``--resume`` and ``--work-dir`` to ``tools/train.py`` (its ``TRAIN_FLAGS``)."""

from __future__ import annotations

import pytest
import torch
from tool_modules import load_tool
from torch import nn

from detseg.engine.checkpointing import CheckpointError, load_resumable, save_checkpoint
from detseg.engine.checkpointing.resume_state import (
    ResumeError,
    restore_training_state,
    training_state,
)
from detseg.engine.training.model_setup import check_resume_weights


@pytest.fixture(scope="module")
def train_flags() -> dict[str, str]:
    return load_tool("train.py").TRAIN_FLAGS


def test_no_readable_copy_names_resume_and_work_dir(tmp_path, train_flags):
    path = tmp_path / "last.pt"
    save_checkpoint(path, {"model": {"w": torch.zeros(1)}, "config": {}, "classes": ["a"]})
    path.write_bytes(path.read_bytes()[:100])  # cut short, no older copy
    with pytest.raises(CheckpointError) as caught:
        load_resumable(path)
    message = str(caught.value)
    assert message.startswith("cannot resume: ")
    assert message.endswith("Start without resume=True, or point work_dir at the run's folder.")
    assert caught.value.naming(train_flags).endswith(
        "Start without --resume, or point --work-dir at the run's folder."
    )


def test_another_optimizer_names_the_work_dir(train_flags):
    model = nn.Linear(2, 1)
    sgd = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.LambdaLR(sgd, lambda it: 1.0)
    scaler = torch.amp.GradScaler("cpu", enabled=False)
    sgd.zero_grad()
    model(torch.ones(1, 2)).sum().backward()
    sgd.step()  # momentum buffers: a state that AdamW cannot take
    state = training_state(sgd, scheduler, scaler)
    adamw = torch.optim.AdamW(model.parameters(), lr=0.1)
    with pytest.raises(CheckpointError) as caught:
        restore_training_state(
            state, adamw, torch.optim.lr_scheduler.LambdaLR(adamw, lambda it: 1.0), scaler
        )
    message = str(caught.value)
    assert message.startswith("cannot resume: the checkpoint's optimizer state does not fit")
    assert message.endswith("or start a new run in another work_dir")
    assert caught.value.naming(train_flags).endswith("or start a new run in another --work-dir")


@pytest.mark.parametrize(
    ("saved", "kwargs"),
    [
        ({"classes": ["cat", "dog"], "meta": {}}, {"classes": ["dog", "cat"]}),
        ({"classes": ["a"], "meta": {"score_by": "AP (coco)"}}, {"score_by": "mIoU"}),
        (
            {"classes": ["a"], "meta": {}, "config": {"train": {"optimizer": "sgd"}}},
            {"train": {"optimizer": "adamw"}},
        ),  # fmt: skip
        ({"classes": ["a"], "meta": {}, "model": {"other": torch.zeros(1)}}, {}),
    ],
    ids=["classes", "metric", "optimizer", "weights"],
)
def test_a_run_that_does_not_fit_the_config_names_another_work_dir(
    tmp_path, train_flags, saved, kwargs
):
    """The command that resumes with the run's config is the tool's; the other choice, a new
    run in another folder, is named as the caller gave it."""
    model = nn.Linear(2, 3)
    state = {"model": model.state_dict(), "config": {}, **saved}
    save_checkpoint(tmp_path / "last.pt", state)
    with pytest.raises(ResumeError) as caught:
        check_resume_weights(model, tmp_path / "last.pt", **kwargs)
    command = f"--work-dir {tmp_path} --resume (tools/train.py), or start a new run in another "
    assert str(caught.value).endswith(command + "work_dir")
    assert caught.value.naming(train_flags).endswith(command + "--work-dir")
