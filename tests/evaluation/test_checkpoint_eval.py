"""evaluate_checkpoint writes the full report of a detector on its val split.

The checkpoint comes from one training iteration of a tiny Faster R-CNN on a tiny shapes set
(its AP does not matter); the report's numbers must be those of the saved detections.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from detseg.config import load_config
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes
from detseg.engine.training import train
from detseg.engine.validation import COCO_KEYS, DatasetHead, coco_ground_truth
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint, gallery_sources
from detseg.evaluation.coco import coco_evaluate

REPO = Path(__file__).resolve().parents[2]
TINY = [
    "model.name=faster_rcnn",
    "model.backbone=resnet18",
    "model.width_mult=1.0",  # demo.yaml thins its MobileNet; a ResNet takes 1.0 only
    "model.fpn=false",
    "model.return_layers=null",  # demo.yaml's FPN levels, anchors and ratios do not apply
    "model.anchor_sizes=null",
    "model.aspect_ratios=null",
    "model.min_size=64",
    "model.max_size=64",
    "model.representation_size=32",
    "model.rpn={batch_size_per_image: 16, pre_nms_top_n_train: 100, post_nms_top_n_train: 20,"
    " pre_nms_top_n_test: 50, post_nms_top_n_test: 10}",
    "model.roi_heads={batch_size_per_image: 16}",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.warmup_iters=1",
    "eval.batch_size=4",
    "device=cpu",
]


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=4, size=96, seed=0)
    return root


@pytest.fixture
def checkpoint(shapes, tmp_path) -> Path:
    """best.pt of a one-iteration run of configs/demo.yaml with a tiny model."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, f"data.root={shapes}"])
        assert train(cfg, tmp_path / "run").exit_code == 0
    finally:
        torch.set_num_threads(threads)
    return tmp_path / "run" / "best.pt"


def test_checkpoint_form_writes_the_full_report(checkpoint, shapes, tmp_path, check_report):
    out = tmp_path / "report"
    summary = evaluate_checkpoint(checkpoint, out=out, backend="pycocotools")
    classes = json.loads((shapes / "annotations" / "instances_val.json").read_text())
    metrics, page = check_report(out, [c["name"] for c in classes["categories"]])
    assert summary.metrics == metrics
    # One evaluation, the right one: the numbers are those of the saved detections.
    detections = json.loads((out / "detections.json").read_text())
    expected = coco_evaluate(
        shapes / "annotations" / "instances_val.json", detections, backend="pycocotools"
    )
    assert {k: metrics[k] for k in COCO_KEYS} == {k: expected[k] for k in COCO_KEYS}
    assert metrics["per_class"] == expected["per_class"]
    assert metrics["info"]["checkpoint"] == str(checkpoint)
    assert metrics["info"]["backend"] == "pycocotools"
    # A one-iteration model misses objects: the gallery shows val images, drawn.
    assert '<table id="worst-images">' in page and "data:image/jpeg;base64," in page
    text = summary.text()
    assert text.startswith(f"COCO bbox evaluation of {checkpoint} on 4 images:\n\n")
    assert "AP50" in summary.table and summary.table in text
    assert text.endswith(f"Wrote {out / 'detections.json'}")


def test_gallery_sources_keep_coco_names(shapes):
    val_set = build_dataset({"format": "coco", "root": str(shapes)}, "val")
    gt = coco_ground_truth(val_set).gt
    named, folder = gallery_sources(DatasetHead(val_set, 2), gt)
    assert named is gt and folder == Path(val_set.images_dir)
    assert all((folder / img["file_name"]).is_file() for img in named["images"])
