"""``tools/anchors.py`` on a YOLO experiment config: the boxes are scaled to the config's
``model.input_size`` (the input the priors are in pixels of), the printed priors build the
model (a ``--k`` that gives it another number of levels is refused), and a dataset with fewer
distinct sizes than ``--k`` is refused."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.dataset_check.box_sizes import config_input_size, config_prior_levels
from detseg.models import build_model

REPO = Path(__file__).resolve().parents[2]


def _yolo_config(tmp_path: Path, **model) -> Path:
    root = tmp_path / "shapes"
    if not root.exists():
        generate_shapes(root, num_train=3, num_val=1, size=64, seed=0)
    config = tmp_path / "yolo.yaml"
    recipe = {
        "_base_": str(REPO / "configs" / "_base_" / "shapes_cpu.yaml"),
        "model": {"name": "yolo", "backbone": "resnet18", **model},
        "data": {"root": str(root)},
    }
    config.write_text(yaml.safe_dump(recipe))
    return config


def test_the_input_size_of_a_yolo_config_is_the_default(tmp_path, run_tool):
    config = _yolo_config(tmp_path, input_size=128)
    result = run_tool("anchors.py", config, "--k", "3", "--per-level", "1")
    assert result.returncode == 0, result.stderr
    assert ", input 128x128 px, k=3;" in result.stdout.splitlines()[0]
    given = run_tool("anchors.py", config, "--k", "3", "--per-level", "1", "--input-size", "256")
    assert ", input 256x256 px, k=3;" in given.stdout.splitlines()[0]

    # the printed snippet is the model's anchors: the config with it builds the model
    snippet = yaml.safe_load("\n".join(result.stdout.splitlines()[2:]))
    cfg = load_config(config, [f"model.anchors={json.dumps(snippet['anchors'])}"])
    build_model(cfg.model.builder_dict(), num_classes=3)
    # the priors at 128 px are half those at 256 px (same boxes, same seed)
    at_256 = yaml.safe_load("\n".join(given.stdout.splitlines()[2:]))["anchors"]
    for level_128, level_256 in zip(snippet["anchors"], at_256, strict=True):
        for (w1, h1), (w2, h2) in zip(level_128, level_256, strict=True):
            assert abs(2 * w1 - w2) <= 0.15 and abs(2 * h1 - h2) <= 0.15


def test_config_input_size_of_each_source(tmp_path):
    assert config_input_size(_yolo_config(tmp_path, input_size=320)) == 320
    assert config_input_size(_yolo_config(tmp_path)) == 416  # yolo v3's default
    assert config_input_size(_yolo_config(tmp_path, version="v1")) == 448
    assert config_input_size(REPO / "configs" / "yolo" / "yolov3_shapes.yaml") == 256
    assert config_input_size(REPO / "configs" / "demo.yaml") is None  # a Faster R-CNN
    data_file = tmp_path / "data.yaml"
    data_file.write_text(yaml.safe_dump({"data": {"format": "coco", "root": str(tmp_path)}}))
    assert config_input_size(data_file) is None
    assert config_input_size(tmp_path / "ann.json") is None


def test_fewer_distinct_sizes_than_k_is_an_error(tmp_path, run_tool):
    ann = tmp_path / "ann.json"
    image = {"id": 1, "width": 100, "height": 100, "file_name": "a.png"}
    boxes = [  # four boxes, two sizes: a third prior could only copy one of them
        {"id": i, "image_id": 1, "bbox": [i, i, 10 + 10 * (i % 2), 20], "category_id": 1}
        for i in range(4)
    ]
    ann.write_text(json.dumps({"images": [image], "annotations": boxes, "categories": []}))
    result = run_tool("anchors.py", ann, "--k", "3", "--per-level", "1")
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"anchors: error: {ann} has 2 distinct box sizes, fewer than --k 3: some priors would "
        "be copies of others; give a lower --k or a dataset with more boxes"
    ]
    two = run_tool("anchors.py", ann, "--k", "2", "--per-level", "1", "--input-size", "100")
    assert two.returncode == 0, two.stderr
    assert two.stdout.splitlines()[2:] == [
        "anchors:",
        "  - [[10.0, 20.0]]  # level 0",
        "  - [[20.0, 20.0]]  # level 1",
    ]


def test_k_must_give_the_levels_of_a_yolo_config(tmp_path, run_tool):
    config = _yolo_config(tmp_path, input_size=128)  # three levels: c3, c4, c5
    result = run_tool("anchors.py", config, "--k", "6")  # two levels of 3 priors
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"anchors: error: the model of {config} has 3 levels, each with --per-level 3 "
        "priors: use --k 9 (or another --per-level), so that the printed anchors fit it"
    ]
    two_levels = _yolo_config(tmp_path, input_size=128, return_layers=["c4", "c5"])
    result = run_tool("anchors.py", two_levels, "--k", "4", "--per-level", "2")
    assert result.returncode == 0, result.stderr
    snippet = yaml.safe_load("\n".join(result.stdout.splitlines()[2:]))
    cfg = load_config(two_levels, [f"model.anchors={json.dumps(snippet['anchors'])}"])
    build_model(cfg.model.builder_dict(), num_classes=3)
    assert config_prior_levels(two_levels) == 2
    assert config_prior_levels(_yolo_config(tmp_path, version="v1")) is None


def test_an_image_given_as_the_source_is_named_as_one(tmp_path, run_tool):
    image = tmp_path / "photo.yaml"  # a PNG under a YAML name: read before any config
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    result = run_tool("anchors.py", image)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == [
        f"anchors: error: {image} is not a JSON or YAML text file: it looks like a PNG image; "
        "give a COCO .json file, an experiment config or a data file"
    ]
