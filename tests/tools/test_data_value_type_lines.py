"""A data file value that training refuses: tools/check_data.py refuses it too (exit 2, the
same one line), and tools/train.py names the data file given with --data, not the config."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_both_tools_refuse_a_switch_of_a_data_file_naming_it(run_tool, tmp_path: Path):
    data = tmp_path / "data.yaml"
    data.write_text(
        f"format: coco\nroot: {REPO / 'datasets/shapes'}\n"
        "train_ann: annotations/instances_train.json\nval_ann: annotations/instances_val.json\n"
        "load_masks: notbool\n"
    )
    line = f"{data}: 'data.load_masks' must be a bool, got 'notbool'"
    checked = run_tool("check_data.py", data, "--out", tmp_path / "out")
    assert checked.returncode == 2, checked.stdout
    assert checked.stderr.strip().splitlines() == [f"check_data: error: {line}"]
    assert not (tmp_path / "out").exists()
    trained = run_tool(
        "train.py", REPO / "configs/demo.yaml", "--data", data, "--work-dir", tmp_path / "run",
        "--set", "train.epochs=1", "train.max_iters=1",
    )  # fmt: skip
    assert trained.returncode == 2, trained.stdout
    assert trained.stderr.strip().splitlines()[-1] == f"train: error: {line}"
