"""``tools/anchors.py``: k-means priors of a COCO json, printed as a YAML snippet."""

from __future__ import annotations

import json


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
    result = run_tool("anchors.py", ann, "--k", "2", "--input-size", "100")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "# 2 boxes, input 100x100, k=2"
    assert "mean best IoU: 1.0000" in lines[1]
    assert lines[2:] == ["anchors:", "  - [[10.0, 20.0], [25.0, 25.0]]  # level 0"]


def test_too_few_boxes_for_k_is_an_error(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    box = {"id": 1, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 1}
    ann.write_text(json.dumps({"images": [image], "annotations": [box], "categories": []}))
    result = run_tool("anchors.py", ann, "--k", "3")
    assert result.returncode == 1 and "1 usable boxes, fewer than --k 3" in result.stdout
