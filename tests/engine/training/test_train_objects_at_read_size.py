"""The refusal of a train split without objects judges boxes against the image size training
reads, not against wrong stated sizes: a COCO json or VOC xml files stating sizes too small
for boxes that fit the real images (annotations of a resized copy) start training, which warns
about the stated size; boxes outside the real images too are still refused."""

from __future__ import annotations

import json
import logging
import re
import shutil
from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.convert.datasets.convert import convert_dataset
from detseg.data.shapes import generate_shapes
from detseg.engine.training.train_data import build_data

REPO = Path(__file__).resolve().parents[3]
SETS = ["train.num_workers=0", "data.augmentations=[]", "device=cpu"]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> dict[str, Path]:
    """The shapes dataset in COCO and VOC (4 train images, 2 val images, 64 px)."""
    folder = tmp_path_factory.mktemp("stated_sizes")
    coco = folder / "coco"
    generate_shapes(coco, num_train=4, num_val=2, size=64, seed=1)
    convert_dataset(coco, folder / "voc", "coco", "voc", link=True, progress=False)
    return {"coco": coco, "voc": folder / "voc"}


def _build(fmt: str, root: Path):
    data_file = None if fmt == "coco" else root / "data.yaml"
    cfg = load_config(REPO / "configs/demo.yaml", [*SETS, f"data.root={root}"], data_file)
    return build_data(cfg, "detection")


def _coco_stating(root: Path, side: int, shift: float = 0.0) -> None:
    """Every train entry states ``side`` x ``side``; boxes from 16 px on (outside a 16 px
    image, inside the 64 px file), moved ``shift`` px right."""
    path = root / "annotations" / "instances_train.json"
    gt = json.loads(path.read_text())
    for image in gt["images"]:
        image["width"] = image["height"] = side
    gt["annotations"] = [
        {**ann, "bbox": [16 + shift, 16, min(ann["bbox"][2], 40), min(ann["bbox"][3], 40)]}
        for ann in gt["annotations"]
    ]
    path.write_text(json.dumps(gt))


def test_coco_boxes_that_fit_the_files_train(shapes, tmp_path, caplog):
    root = Path(shutil.copytree(shapes["coco"], tmp_path / "coco"))
    _coco_stating(root, 16)
    data = _build("coco", root)
    assert data.train_set.num_objects == 0  # the quick count, against the stated sizes
    with caplog.at_level(logging.WARNING):
        kept = sum(len(data.train_set[i][1]["boxes"]) for i in range(len(data.train_set)))
    assert kept > 0  # boxes inside the files: training learns from them
    assert "is 64 x 64 (W x H) but its annotations say 16 x 16" in caplog.text


def test_coco_boxes_outside_the_files_too_are_refused(shapes, tmp_path):
    root = Path(shutil.copytree(shapes["coco"], tmp_path / "coco"))
    _coco_stating(root, 16, shift=1000.0)
    with pytest.raises(ValueError, match=r"has no object to learn from"):
        _build("coco", root)


def test_voc_boxes_that_fit_the_files_train(shapes, tmp_path):
    root = Path(shutil.copytree(shapes["voc"], tmp_path / "voc", symlinks=True))
    for xml in (root / "Annotations").glob("train_*.xml"):
        text = re.sub(r"<(width|height)>64</", r"<\1>8</", xml.read_text())
        xml.write_text(re.sub(r"<(xmin|ymin)>\d+</", r"<\1>9</", text))
    data = _build("voc", root)
    assert data.train_set.num_objects == 0 and len(data.train_set) == 4
