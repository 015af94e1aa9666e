"""evaluate_checkpoint of a Mask R-CNN checkpoint: box and mask AP, RLE masks in
detections.json binarised at the model's mask_threshold, masks drawn in the report."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch
from pycocotools import mask as mask_utils
from torch import nn

from detseg.config import load_config
from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.training import train
from detseg.engine.validation import COCO_KEYS, SEGM_KEYS, SEGM_PER_CLASS_KEY
from detseg.evaluation.checkpoint_detection_eval import scores_masks
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.coco import coco_evaluate, segm_metrics

REPO = Path(__file__).resolve().parents[2]
ONE_STEP = [
    "model.min_size=64",
    "model.max_size=64",
    "model.representation_size=64",
    "train.max_iters=1",
    "train.batch_size=2",
    "train.num_workers=0",
    "train.warmup_iters=1",
    "eval.batch_size=4",
    "device=cpu",
]


@pytest.fixture(scope="module")
def mask_checkpoint(tmp_path_factory) -> Path:
    """best.pt of one iteration of configs/mask_rcnn/mask_rcnn_shapes.yaml at 64 px."""
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=3, size=64, seed=0)
    run = tmp_path_factory.mktemp("run")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config(
            REPO / "configs/mask_rcnn/mask_rcnn_shapes.yaml", [*ONE_STEP, f"data.root={root}"]
        )
        assert train(cfg, run).exit_code == 0
    finally:
        torch.set_num_threads(threads)
    return run / "best.pt"


def _areas(out: Path) -> list[int]:
    detections = json.loads((out / "detections.json").read_text())
    return [int(mask_utils.area(d["segmentation"])) for d in detections]


def test_a_mask_checkpoint_is_scored_on_boxes_and_masks(mask_checkpoint, tmp_path, check_report):
    out = tmp_path / "eval"
    summary = evaluate_checkpoint(mask_checkpoint, out=out)
    assert summary.heading.startswith(f"COCO bbox and segm evaluation of {mask_checkpoint}")
    assert summary.table.startswith("COCO bbox:") and "COCO segm (masks):" in summary.table
    metrics, page = check_report(out, ["circle", "square", "triangle", "star", "hexagon"])
    assert set(SEGM_KEYS) | {SEGM_PER_CLASS_KEY} <= set(metrics)
    assert '<table id="summary-segm">' in page
    detections = json.loads((out / "detections.json").read_text())
    assert detections and all(d["segmentation"]["size"] == [64, 64] for d in detections)
    # the numbers are those of the written detections, and those validation recorded
    recorded = load_checkpoint(mask_checkpoint)["meta"]["metrics"]
    for key in (*COCO_KEYS, *SEGM_KEYS):
        assert metrics[key] == recorded[key], key


def test_the_models_mask_threshold_binarises_the_written_masks(mask_checkpoint, tmp_path):
    evaluate_checkpoint(mask_checkpoint, out=tmp_path / "a", overrides=["model.mask_threshold=0.3"])
    evaluate_checkpoint(mask_checkpoint, out=tmp_path / "b", overrides=["model.mask_threshold=0.7"])
    loose, strict = _areas(tmp_path / "a"), _areas(tmp_path / "b")
    assert len(loose) == len(strict) and sum(loose) > sum(strict)
    assert all(a >= b for a, b in zip(loose, strict, strict=True))


def test_masks_are_scored_on_coco_data_only(caplog):
    class WithMasks(nn.Module):
        has_masks = True

    assert scores_masks(WithMasks(), "coco") and not scores_masks(nn.Module(), "coco")
    with caplog.at_level(logging.WARNING):
        assert not scores_masks(WithMasks(), "voc")
    assert "data.format voc has no instance masks" in caplog.text


def test_report_metrics_equal_coco_evaluate_on_the_detections(mask_checkpoint, tmp_path):
    out = tmp_path / "eval"
    summary = evaluate_checkpoint(mask_checkpoint, out=out, backend="pycocotools")
    cfg = load_checkpoint(mask_checkpoint)["config"]
    gt = Path(cfg["data"]["root"]) / cfg["data"]["val_ann"]
    detections = json.loads((out / "detections.json").read_text())
    for backend in ("pycocotools", "faster"):
        expected = segm_metrics(coco_evaluate(gt, detections, "segm", backend))
        for key in SEGM_KEYS:
            assert summary.metrics[key] == pytest.approx(expected[key], abs=1e-12), key
