"""``tools/convert_dataset.py``: COCO / VOC / YOLO layouts converted from the command line."""

from __future__ import annotations

import json

import pytest
import yaml

from detseg.data.shapes import generate_shapes


@pytest.fixture(scope="module")
def shapes(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=2, size=64)
    return root


def test_converts_coco_to_yolo_and_back(shapes, tmp_path, run_tool):
    result = run_tool(
        "convert_dataset.py", "--from", "coco", "--to", "yolo", shapes, tmp_path / "y"
    )
    assert result.returncode == 0, result.stderr
    train = json.loads((shapes / "annotations" / "instances_train.json").read_text())
    assert result.stdout.splitlines()[0].startswith(
        f"train: 4 images, {len(train['annotations'])} objects, "
    )
    assert "skipped 0 objects, 0 images" in result.stdout.splitlines()[1]
    assert sorted(p.name for p in (tmp_path / "y" / "labels" / "train").iterdir()) == [
        f"{i:06d}.txt" for i in range(4)
    ]
    data = yaml.safe_load((tmp_path / "y" / "data.yaml").read_text())["data"]
    assert data["format"] == "yolo" and data["val_images"] == "images/val"

    result = run_tool(
        "convert_dataset.py", "--from", "yolo", "--to", "coco", tmp_path / "y", tmp_path / "c",
        "--splits", "val", "--link",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "c" / "val" / "images" / "000000.png").is_symlink()
    assert not (tmp_path / "c" / "annotations" / "instances_train.json").exists()


def test_missing_split_is_one_line_and_exit_code_2(shapes, tmp_path, run_tool):
    result = run_tool(
        "convert_dataset.py", "--from", "coco", "--to", "voc", shapes, tmp_path / "v",
        "--splits", "train", "holdout",
    )  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("convert_dataset: error:")
    assert "instances_holdout.json" in lines[0] and "Traceback" not in result.stderr


def test_same_formats_are_an_error(shapes, tmp_path, run_tool):
    result = run_tool("convert_dataset.py", "--from", "voc", "--to", "voc", shapes, tmp_path / "v")
    assert result.returncode == 2 and "nothing to convert" in result.stderr


@pytest.mark.parametrize("what", ["missing", "folder"])
def test_a_classes_flag_that_is_no_file(shapes, tmp_path, run_tool, what):
    classes = tmp_path / "nope.txt" if what == "missing" else tmp_path
    result = run_tool(
        "convert_dataset.py", "--from", "coco", "--to", "yolo", shapes, tmp_path / "y",
        "--classes", classes,
    )  # fmt: skip
    assert result.returncode == 2 and "Traceback" not in result.stderr
    problem = "no such file" if what == "missing" else "is a folder"
    assert result.stderr.splitlines() == [
        f"convert_dataset: error: --classes {classes}: {problem}; give a text file with one "
        "class name per line (or a yaml with 'names')"
    ]
    assert not (tmp_path / "y").exists()
