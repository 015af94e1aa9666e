"""``tools/eval.py runs/x`` evaluates a run folder as ``detseg.load`` reads it (its ``best.pt``,
else its ``last.pt``, named in a log line) into ``runs/x/eval`` by default; ``--iou-type`` on a
checkpoint is refused with a line saying why for both kinds of checkpoint."""

from __future__ import annotations

import json

from random_checkpoints import DETECTOR, write_checkpoint


def test_eval_takes_a_run_folder_and_writes_into_its_eval_folder(shapes, tmp_path, run_tool):
    run = tmp_path / "run"
    write_checkpoint(run / "last.pt", "configs/demo.yaml", [*DETECTOR, f"data.root={shapes}"])
    result = run_tool("eval.py", run, "--set", "eval.max_images=2")
    assert result.returncode == 0, result.stderr
    assert f"evaluating {run / 'last.pt'} ({run} is a run folder; it has no best.pt)" in (
        result.stderr
    )
    assert (
        result.stdout.splitlines()[0] == f"COCO bbox evaluation of {run / 'last.pt'} on 2 images:"
    )
    assert "AP" in json.loads((run / "eval" / "metrics.json").read_text())


def test_eval_refuses_a_folder_without_checkpoints_in_one_line(tmp_path, run_tool):
    result = run_tool("eval.py", tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"eval: error: {tmp_path} is a folder without best.pt or last.pt; give a best.pt / "
        "last.pt written by detseg-train (tools/train.py), or the run folder holding it"
    ]
    assert not (tmp_path / "eval").exists()


def test_iou_type_on_a_checkpoint_says_masks_are_scored_by_themselves_or_absent(run_tool):
    result = run_tool("eval.py", "runs/yolo/best.pt", "--iou-type", "segm")
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()[-1:]
    assert "--iou-type is for the --gt/--pred form" in line
    assert "a checkpoint whose model predicts masks (Mask R-CNN) is scored on its masks" in line
    assert "a box-only checkpoint (Faster R-CNN, RetinaNet, SSD, YOLO) has no masks" in line
