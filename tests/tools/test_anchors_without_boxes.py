"""``tools/anchors.py`` on a dataset without usable boxes: one line that says so, exit code 2
(not the advice to lower ``--k``, which cannot help)."""

from __future__ import annotations

import json


def test_a_coco_json_without_boxes_is_one_line_without_lower_k_advice(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    crowd = {"id": 1, "image_id": 1, "bbox": [0, 0, 10, 10], "category_id": 1, "iscrowd": 1}
    categories = [{"id": 1, "name": "a"}]
    ann.write_text(
        json.dumps({"images": [image], "annotations": [crowd], "categories": categories})
    )
    result = run_tool("anchors.py", ann, "--k", "3", "--per-level", "1")
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"anchors: error: {ann} has no usable boxes")
    assert "--k" not in lines[0]
