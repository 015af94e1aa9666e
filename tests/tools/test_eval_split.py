"""``tools/eval.py CHECKPOINT --split NAME`` evaluates that split of the checkpoint's dataset
(the shapes' held-out ``test``), names it in the printed heading and in ``metrics.json``; a
split that is not there is one line listing those that are (exit 2, no traceback), and the
flag has no use in the ``--gt/--pred`` form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import DETECTOR, write_checkpoint

from detseg.data.shapes import generate_shapes


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes_with_test")
    generate_shapes(root, num_train=2, num_val=2, num_test=3, size=64, seed=0)
    path = tmp_path_factory.mktemp("run") / "best.pt"
    write_checkpoint(path, "configs/demo.yaml", [*DETECTOR, f"data.root={root}"])
    return path


def test_split_test_evaluates_the_held_out_split_and_names_it(checkpoint, tmp_path, run_tool):
    out = tmp_path / "eval_test"
    result = run_tool("eval.py", checkpoint, "--split", "test", "--out", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(
        f"COCO bbox evaluation of {checkpoint} on 3 images of split test"
    )
    info = json.loads((out / "metrics.json").read_text())["info"]
    assert info["split"] == "test" and info["images"] == 3
    assert "split test (val_images test/images" in info["dataset"]


def test_a_split_that_is_not_there_is_one_line(checkpoint, tmp_path, run_tool):
    result = run_tool("eval.py", checkpoint, "--split", "tset", "--out", tmp_path / "out")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert "--split tset: no such split of the checkpoint's dataset" in line
    assert line.endswith("its splits: test, train, val")
    assert not (tmp_path / "out").exists()


def test_split_is_for_the_checkpoint_form(tmp_path, run_tool):
    gt = tmp_path / "gt.json"
    result = run_tool("eval.py", "--gt", gt, "--pred", gt, "--split", "test")
    assert result.returncode == 2
    assert "--split picks a split of a checkpoint's dataset" in result.stderr


def test_each_split_gets_its_own_default_output_folder(checkpoint, run_tool):
    """Without --out, ``--split test`` writes ``eval_test`` beside the checkpoint and says so;
    the val split's report in ``eval`` stays as it was."""
    val = run_tool("eval.py", checkpoint)
    assert val.returncode == 0, val.stderr
    val_metrics = (checkpoint.parent / "eval" / "metrics.json").read_text()
    test = run_tool("eval.py", checkpoint, "--split", "test")
    assert test.returncode == 0, test.stderr
    out = checkpoint.parent / "eval_test"
    assert json.loads((out / "metrics.json").read_text())["info"]["split"] == "test"
    assert f"in {out}" in test.stdout and f"Wrote {out / 'detections.json'}" in test.stdout
    assert (checkpoint.parent / "eval" / "metrics.json").read_text() == val_metrics
