"""tools/check_data.py as a user runs it: a clean dataset, a broken one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detseg.data.shapes import generate_shapes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("check_data") / "shapes"
    generate_shapes(root, num_train=6, num_val=3, size=64, seed=1)
    return root


def test_clean_dataset_from_a_config(run_tool, shapes: Path, tmp_path: Path):
    out = tmp_path / "out"
    result = run_tool(
        "check_data.py", REPO / "configs" / "demo.yaml", "--set", f"data.root={shapes}",
        "--out", out, "--grid", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "result: 0 error(s), 0 warning(s): ready for training" in result.stdout
    assert out.joinpath("report.txt").read_text() in result.stdout
    summary = json.loads(out.joinpath("summary.json").read_text())
    assert summary["splits"]["train"]["images"] == 6 and summary["splits"]["val"]["images"] == 3
    assert summary["data"]["root"] == str(shapes) and summary["errors"] == 0
    page = out.joinpath("report.html").read_text()
    assert page.count('<img src="data:image/') == 2 * 2 + 2 * 2
    assert out.joinpath("train_box_sizes.png").is_file()


def test_broken_dataset_from_a_data_file(run_tool, shapes: Path, tmp_path: Path):
    ann = tmp_path / "instances_train.json"
    coco = json.loads(shapes.joinpath("annotations", "instances_train.json").read_text())
    ann.write_text(json.dumps({**coco, "annotations": []}))  # no object in train
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"data:\n  format: coco\n  root: {shapes}\n  train_ann: {ann}\n")
    out = tmp_path / "out"
    result = run_tool("check_data.py", data_file, "--splits", "train", "--out", out, "--no-decode")
    assert result.returncode == 1, result.stderr
    assert "errors (1):" in result.stdout
    assert "[train] no_objects: not a single object in the train split" in result.stdout
    summary = json.loads(out.joinpath("summary.json").read_text())
    assert summary["exit_code"] == 1 and summary["findings"][0]["code"] == "no_objects"
    assert list(summary["splits"]) == ["train"]


def test_the_test_split_of_a_converted_dataset(run_tool, tmp_path: Path):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=2, num_test=2, size=64, seed=2)
    yolo = tmp_path / "yolo"
    convert = run_tool("convert_dataset.py", "--from", "coco", "--to", "yolo", root, yolo)
    assert convert.returncode == 0, convert.stderr
    out = tmp_path / "out"
    result = run_tool(
        "check_data.py", yolo / "data.yaml", "--splits", "train", "test", "--out", out,
        "--no-decode", "--grid", "0",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(out.joinpath("summary.json").read_text())
    assert {name: s["images"] for name, s in summary["splits"].items()} == {"train": 3, "test": 2}
