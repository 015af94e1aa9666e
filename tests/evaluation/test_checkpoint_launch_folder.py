"""A checkpoint's relative ``data.root`` is read from the folder its run was started from.

One training iteration of a tiny Faster R-CNN runs inside a project folder with
``data.root=datasets/shapes``; its ``best.pt`` is then evaluated from other working folders:
the run's own folder finds the data of the launch folder (saying so in one line), a copy of
the data under the working folder wins, an override is taken as given, and a checkpoint that
records no launch folder reads from the working folder only, as before.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

import pytest
import torch
from tiny_detector import EVAL_HEADS, ONE_STEP_ON_CPU, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing.checkpoint import load_checkpoint, save_checkpoint
from detseg.engine.training import train
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint

REPO = Path(__file__).resolve().parents[2]
TINY = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *EVAL_HEADS,
    *ONE_STEP_ON_CPU,
    "eval.backend=pycocotools",
]
LAUNCH_LINE = "data.root datasets/shapes read from the run's launch folder"


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder with ``datasets/shapes`` (4 val images) and ``runs/demo/best.pt``,
    trained from the project folder with the relative ``data.root=datasets/shapes``."""
    folder = tmp_path_factory.mktemp("project")
    generate_shapes(folder / "datasets" / "shapes", num_train=4, num_val=4, size=96, seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        try:
            cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, "data.root=datasets/shapes"])
            assert train(cfg, Path("runs/demo")).exit_code == 0
        finally:
            torch.set_num_threads(threads)
    return folder


def _launch_lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(LAUNCH_LINE)]


def test_the_checkpoint_records_the_folder_training_started_from(project):
    for name in ("best.pt", "last.pt"):
        state = load_checkpoint(project / "runs" / "demo" / name)
        assert state["launch_folder"] == str(project)
        assert state["config"]["data"]["root"] == "datasets/shapes"  # kept as written


def test_the_run_folder_reads_the_data_of_the_launch_folder(project, monkeypatch, caplog):
    run = project / "runs" / "demo"
    monkeypatch.chdir(run)
    caplog.set_level(logging.INFO)
    summary = evaluate_checkpoint("best.pt", out=project / "eval_run_folder")
    assert summary.heading.endswith(" on 4 images")
    assert _launch_lines(caplog) == [f"{LAUNCH_LINE} {project} (the checkpoint was trained there)"]


def test_any_folder_reads_it_given_the_checkpoint_path(project, tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO)
    summary = evaluate_checkpoint(project / "runs" / "demo" / "best.pt", out=tmp_path / "eval")
    assert summary.heading.endswith(" on 4 images") and len(_launch_lines(caplog)) == 1


def test_a_root_under_the_working_folder_wins(project, tmp_path, monkeypatch, caplog):
    """A copy of the project (another machine's layout): its own data is read."""
    generate_shapes(tmp_path / "datasets" / "shapes", num_train=1, num_val=2, size=96, seed=1)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO)
    summary = evaluate_checkpoint(project / "runs" / "demo" / "best.pt", out=tmp_path / "eval")
    assert summary.heading.endswith(
        " on 2 images"
    )  # the copy's 2 val images, not the launch folder's 4
    assert _launch_lines(caplog) == []


def test_an_override_is_taken_as_given(project, tmp_path, monkeypatch, caplog):
    monkeypatch.chdir(project / "runs" / "demo")
    caplog.set_level(logging.INFO)
    with pytest.raises(FileNotFoundError, match=r"data.root 'datasets/shapes' is not a folder"):
        evaluate_checkpoint(
            "best.pt", out=tmp_path / "eval", overrides=["data.root=datasets/shapes"]
        )
    assert _launch_lines(caplog) == []
    other = tmp_path / "other_shapes"
    generate_shapes(other, num_train=1, num_val=3, size=96, seed=2)
    summary = evaluate_checkpoint(
        "best.pt", out=tmp_path / "eval", overrides=[f"data.root={other}"]
    )
    assert summary.heading.endswith(" on 3 images") and _launch_lines(caplog) == []


def test_a_checkpoint_without_a_launch_folder_reads_the_working_folder(
    project, tmp_path, monkeypatch, caplog
):
    state = load_checkpoint(project / "runs" / "demo" / "best.pt")
    del state["launch_folder"]
    old = tmp_path / "old.pt"
    torch.save(state, old)  # as checkpoints were written before they recorded it
    assert "launch_folder" not in torch.load(old, weights_only=True)
    monkeypatch.chdir(tmp_path)
    caplog.set_level(logging.INFO)
    with pytest.raises(FileNotFoundError) as error:
        evaluate_checkpoint(old, out=tmp_path / "eval")
    assert str(error.value).startswith(
        "data.root 'datasets/shapes' is not a folder (a relative root is read from the working "
        f"folder, {tmp_path})"
    )
    assert _launch_lines(caplog) == []
    shutil.copytree(project / "datasets", tmp_path / "datasets")
    assert evaluate_checkpoint(old, out=tmp_path / "eval").heading.endswith(" on 4 images")


def test_a_written_launch_folder_is_kept(project, tmp_path, monkeypatch):
    """A loaded checkpoint written again elsewhere keeps the folder its run started from."""
    state = load_checkpoint(project / "runs" / "demo" / "best.pt")
    monkeypatch.chdir(tmp_path)
    save_checkpoint(tmp_path / "again.pt", state)
    assert load_checkpoint(tmp_path / "again.pt")["launch_folder"] == str(project)
    assert os.getcwd() == str(tmp_path)
