"""``tools/anchors.py`` on a YOLOv1 experiment config: its model takes no priors (it would
ignore pasted anchors), so the config is refused with one line saying what to give."""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_a_yolov1_config_is_refused(tmp_path, run_tool):
    config = tmp_path / "yolov1.yaml"
    recipe = {
        "_base_": str(REPO / "configs" / "_base_" / "shapes_cpu.yaml"),
        "model": {"name": "yolo", "version": "v1", "backbone": "resnet18", "input_size": 128},
        "data": {"root": str(tmp_path / "no_data_needed")},
    }
    config.write_text(yaml.safe_dump(recipe))
    result = run_tool("anchors.py", config, "--k", "3", "--per-level", "1")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"anchors: error: the model of {config} is a YOLOv1 (model.version: v1), which has no "
        "priors: it would ignore the printed anchors; give a YOLOv3 config, or the data alone "
        "(its COCO json or data file) with --input-size"
    ]
