"""A mask model given YOLO data is refused in one line that names the way on: detseg-convert
turns YOLO segment lines into COCO masks, which the mask model then trains on."""

from __future__ import annotations

from pathlib import Path

import pytest

from detseg.config import ConfigError, load_config
from detseg.engine.training.train_data import build_data, require_instance_masks

REPO = Path(__file__).resolve().parents[2]
MASK_CONFIG = REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml"
CONVERT = "YOLO segment lines become COCO masks with detseg-convert --from yolo --to coco SRC DST"


def test_yolo_data_names_the_conversion_voc_data_does_not() -> None:
    cfg = load_config(MASK_CONFIG, ["data.format=yolo", "data.root=somewhere"])
    with pytest.raises(ConfigError) as caught:
        require_instance_masks(cfg)
    assert str(caught.value) == (
        "model mask_rcnn needs instance masks: data.format coco with data.load_masks: true "
        f"(data.format yolo has no masks); {CONVERT} (then --data DST/data.yaml)"
    )
    cfg = load_config(MASK_CONFIG, ["data.format=voc", "data.root=somewhere"])
    with pytest.raises(ConfigError) as caught:
        require_instance_masks(cfg)
    assert "detseg-convert" not in str(caught.value)


def test_the_named_conversion_gives_the_mask_model_its_masks(
    run_tool, shapes: Path, tmp_path: Path
) -> None:
    segments = tmp_path / "yolo_segments"
    converted = run_tool(
        "convert_dataset.py", "--from", "coco", "--to", "yolo", "--segments", shapes, segments
    )
    assert converted.returncode == 0, converted.stderr
    label = next((segments / "labels" / "train").glob("*.txt")).read_text().splitlines()[0]
    assert len(label.split()) > 5  # a segment line: class and a polygon
    coco = tmp_path / "coco"
    converted = run_tool("convert_dataset.py", "--from", "yolo", "--to", "coco", segments, coco)
    assert converted.returncode == 0, converted.stderr
    sets = ["train.num_workers=0"]
    data = build_data(load_config(MASK_CONFIG, sets, data_file=coco / "data.yaml"), "detection")
    _, target = data.train_set[0]
    assert data.train_set.load_masks and target["masks"].shape[0] == len(target["boxes"]) > 0
    assert bool(target["masks"].any())
