"""``tools/anchors.py``: k-means priors of a COCO json, printed as a YAML snippet."""

from __future__ import annotations

import json

from detseg.data.shapes import generate_shapes


def test_prints_the_priors_as_yaml(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    data = {  # two boxes, (25, 25) and (10, 20) px once the image is resized to 100 x 100
        "images": [{"id": 1, "width": 200, "height": 100, "file_name": "a.png"}],
        "annotations": [
            {"id": 1, "image_id": 1, "bbox": [0, 0, 50, 25], "category_id": 1},
            {"id": 2, "image_id": 1, "bbox": [5, 5, 20, 20], "category_id": 1},
        ],
        "categories": [{"id": 1, "name": "thing"}],
    }
    ann.write_text(json.dumps(data))
    result = run_tool("anchors.py", ann, "--k", "2", "--input-size", "100", "--per-level", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert (
        lines[0] == "# 2 boxes, input 100x100 px, k=2; anchors as [width, height] in input pixels"
    )
    assert "mean best IoU: 1.0000" in lines[1]
    assert lines[2:] == ["anchors:", "  - [[10.0, 20.0], [25.0, 25.0]]  # level 0"]


def test_too_few_boxes_for_k_is_an_error(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    box = {"id": 1, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 1}
    ann.write_text(json.dumps({"images": [image], "annotations": [box], "categories": []}))
    result = run_tool("anchors.py", ann, "--k", "3", "--per-level", "1")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"anchors: error: {ann} has 1 usable boxes, fewer than --k 3; give a lower --k or a "
        "dataset with more boxes"
    ]


def test_priors_of_a_data_file(tmp_path, run_tool):
    """A data file (not an experiment config) names the dataset: its train split is used."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    data_file = tmp_path / "data.yaml"
    data_file.write_text(f"data:\n  format: coco\n  root: {root}\n")
    result = run_tool("anchors.py", data_file, "--k", "3", "--input-size", "64")
    assert result.returncode == 0, result.stderr
    train = json.loads((root / "annotations" / "instances_train.json").read_text())
    assert result.stdout.startswith(f"# {len(train['annotations'])} boxes, input 64x64 px, k=3;")
    assert result.stdout.rstrip().endswith("# level 0")
