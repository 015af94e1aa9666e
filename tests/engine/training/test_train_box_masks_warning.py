"""A mask model's train split whose instances have no ``segmentation`` trains on their filled
boxes: the run warns once, from rank 0, naming the annotation file, how many instances (of how
many), and what to do (add the masks, or train a box model)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from detseg.config import load_config
from detseg.data.coco_masks import count_box_masks
from detseg.data.shapes import generate_shapes
from detseg.engine.runtime.distributed import DistInfo
from detseg.engine.training.train_data import build_data

REPO = Path(__file__).resolve().parents[3]
MASK_CONFIG = REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml"


def _shapes_without_train_masks(root: Path, keep: int = 0) -> tuple[Path, int]:
    """Shapes data whose train json keeps the ``segmentation`` of its first ``keep``
    annotations only; the json and its number of instances."""
    generate_shapes(root, num_train=2, num_val=2, size=64, seed=0)
    ann_file = root / "annotations/instances_train.json"
    gt = json.loads(ann_file.read_text())
    for ann in gt["annotations"][keep:]:
        del ann["segmentation"]
    ann_file.write_text(json.dumps(gt))
    return ann_file, len(gt["annotations"])


def _build(root: Path, dist: DistInfo | None = None) -> None:
    sets = [f"data.root={root}", "train.num_workers=0"]
    build_data(load_config(MASK_CONFIG, sets), "detection", dist)


def _box_mask_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "have no 'segmentation'" in r.getMessage()
    ]


def test_train_instances_without_masks_get_one_warning(tmp_path, caplog):
    ann_file, total = _shapes_without_train_masks(tmp_path, keep=1)
    with caplog.at_level(logging.WARNING):
        _build(tmp_path)
    [message] = _box_mask_warnings(caplog)
    assert message.startswith(f"{ann_file}: {total - 1} of {total} instances have no ")
    assert "their masks are their filled boxes" in message
    assert "add each instance's mask" in message and "faster_rcnn" in message


def test_only_rank_0_warns(tmp_path, caplog):
    _shapes_without_train_masks(tmp_path)
    with caplog.at_level(logging.WARNING):
        _build(tmp_path, DistInfo(rank=1, world_size=2))
    assert not _box_mask_warnings(caplog)


def test_train_data_with_masks_gets_no_warning(tmp_path, caplog):
    generate_shapes(tmp_path, num_train=2, num_val=2, size=64, seed=0)
    with caplog.at_level(logging.WARNING):
        _build(tmp_path)
    assert not _box_mask_warnings(caplog)


def test_crowd_regions_are_not_counted():
    anns = [
        {"bbox": [0, 0, 4, 4]},
        {"bbox": [0, 0, 4, 4], "segmentation": [[0, 0, 4, 0, 4, 4]]},
        {"bbox": [0, 0, 4, 4], "iscrowd": 1},
    ]
    assert count_box_masks(anns) == (1, 2)
