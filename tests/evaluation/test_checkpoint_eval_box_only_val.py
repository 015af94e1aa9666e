"""A Mask R-CNN checkpoint evaluated on a COCO val json without any ``segmentation`` gets box
AP and a warning naming the file and that mask AP needs the masks, as on VOC and YOLO data; a
json where some annotations have a ``segmentation`` and one has none is still refused by name."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from random_checkpoints import write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.engine.validation import COCO_KEYS, SEGM_KEYS
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint

SMALL = [
    "model.min_size=64",
    "model.max_size=64",
    "model.rpn={pre_nms_top_n_test: 50, post_nms_top_n_test: 20}",
    "model.roi_heads={detections_per_img: 10}",
    "eval.batch_size=2",
    "train.num_workers=0",
    "device=cpu",
]


@pytest.fixture()
def box_only_val(tmp_path) -> tuple[Path, Path, dict]:
    """A random-weight Mask R-CNN checkpoint, shapes data of 2 val images, and the val json."""
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "best.pt", "configs/mask_rcnn/mask_rcnn_shapes.yaml", SMALL
    )
    ann_file = root / "annotations/instances_val.json"
    gt = json.loads(ann_file.read_text())
    for ann in gt["annotations"]:
        del ann["segmentation"]
    ann_file.write_text(json.dumps(gt))
    return checkpoint, root, gt


def _evaluate(checkpoint: Path, root: Path, out: Path):
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        return evaluate_checkpoint(checkpoint, out=out, overrides=[f"data.root={root}"])
    finally:
        torch.set_num_threads(threads)


def test_a_val_json_without_masks_gives_box_ap_and_a_warning(box_only_val, tmp_path, caplog):
    checkpoint, root, _ = box_only_val
    with caplog.at_level(logging.WARNING):
        summary = _evaluate(checkpoint, root, tmp_path / "eval")
    assert summary.heading.startswith(f"COCO bbox evaluation of {checkpoint}")
    assert set(COCO_KEYS) <= set(summary.metrics)
    assert not set(SEGM_KEYS) & set(summary.metrics)
    ann_file = root / "annotations/instances_val.json"
    [warning] = [r.getMessage() for r in caplog.records if str(ann_file) in r.getMessage()]
    assert "no annotation has a 'segmentation'" in warning and "box AP only" in warning
    assert "mask AP needs each instance's mask" in warning


def test_a_val_json_missing_some_masks_is_refused(box_only_val, tmp_path):
    checkpoint, root, gt = box_only_val
    first, second = gt["annotations"][:2]
    first["segmentation"] = [[2, 2, 12, 2, 12, 12]]
    (root / "annotations/instances_val.json").write_text(json.dumps(gt))
    with pytest.raises(ValueError, match=rf"annotation {second['id']} .* has no 'segmentation'"):
        _evaluate(checkpoint, root, tmp_path / "eval")
