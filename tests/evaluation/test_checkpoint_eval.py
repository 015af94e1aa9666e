"""evaluate_checkpoint writes the full report of a detector on its val split.

The checkpoints come from one training iteration of a tiny Faster R-CNN on a tiny shapes set
or a tiny VOC-layout set (their AP does not matter); the report's numbers must be those of the
saved detections, and a VOC run must pick ``best.pt`` by its VOC mAP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from tiny_detector import EVAL_HEADS, ONE_STEP_ON_CPU, tiny_faster_rcnn

from detseg.config import load_config
from detseg.data.registry import build_dataset
from detseg.data.shapes import generate_shapes
from detseg.data.voc import VOCDetection
from detseg.engine.records.metric_log import read_metrics
from detseg.engine.training import train, train_steps
from detseg.engine.validation import (
    COCO_KEYS,
    VOC_MAP_KEY,
    VOC_PER_CLASS_KEY,
    DatasetHead,
    coco_ground_truth,
)
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.gallery_sources import gallery_sources
from detseg.evaluation.voc_coco import voc_evaluate_coco

REPO = Path(__file__).resolve().parents[2]
TINY = [
    *tiny_faster_rcnn(size=64, representation_size=32),
    *EVAL_HEADS,
    *ONE_STEP_ON_CPU,
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


VOC_IMAGES = {  # "dog" of 000001 and "cat" of 000002 are difficult
    "000001": [("cat", [5, 5, 30, 30], 0), ("dog", [36, 10, 60, 40], 1)],
    "000002": [("dog", [10, 10, 40, 40], 0), ("cat", [44, 6, 60, 22], 1)],
    "000003": [("cat", [20, 20, 50, 45], 0), ("dog", [2, 45, 20, 62], 0)],
}
SENTINEL_AP = -0.5  # what validation reports as COCO AP below: never the VOC mAP


@pytest.fixture
def voc_run(tmp_path, write_voc, monkeypatch):
    """A one-iteration run on VOC data (eval.metric auto = voc07) whose validation reports the
    real metrics except AP, set to SENTINEL_AP: ``(work dir, TrainResult, val records)``."""
    root = write_voc(tmp_path / "voc", VOC_IMAGES)
    real_validate = train_steps.validate

    def validate(*args, **kwargs):
        metrics = real_validate(*args, **kwargs)
        return None if metrics is None else {**metrics, "AP": SENTINEL_AP}

    monkeypatch.setattr(train_steps, "validate", validate)
    data = [f"data.{k}={v}" for k, v in (("format", "voc"), ("root", root))]
    splits = ["data.train_split=val", "data.val_split=val", "data.classes=[cat, dog]"]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        cfg = load_config(REPO / "configs" / "demo.yaml", [*TINY, *data, *splits])
        result = train(cfg, tmp_path / "run")
    finally:
        torch.set_num_threads(threads)
    assert result.exit_code == 0
    records = read_metrics(tmp_path / "run" / "metrics.jsonl")
    return tmp_path / "run", result, [r for r in records if r["type"] == "val"]


def test_a_voc_run_picks_best_pt_by_voc_map_and_eval_reports_it(voc_run, tmp_path):
    run_dir, result, val_records = voc_run
    assert len(val_records) == 1 and VOC_MAP_KEY in val_records[0]
    assert sorted(val_records[0][VOC_PER_CLASS_KEY]) == ["cat", "dog"]
    assert result.score_key == VOC_MAP_KEY
    assert result.run.best_score == val_records[0][VOC_MAP_KEY] != SENTINEL_AP
    best = torch.load(run_dir / "best.pt", weights_only=True)
    assert best["meta"]["run"]["best_score"] == val_records[0][VOC_MAP_KEY]

    summary = evaluate_checkpoint(run_dir / "best.pt", out=tmp_path / "eval")
    assert summary.heading.startswith(f"VOC07 and COCO bbox evaluation of {run_dir / 'best.pt'}")
    assert summary.table.startswith("VOC07 mAP") and "COCO bbox:" in summary.table
    voc = summary.metrics["voc"]
    assert voc["metric"] == "voc07" and sorted(voc["per_class"]) == ["cat", "dog"]
    detections = json.loads((tmp_path / "eval" / "detections.json").read_text())
    val_set = VOCDetection(best["config"]["data"]["root"], "val", classes=["cat", "dog"])
    assert voc == voc_evaluate_coco(coco_ground_truth(val_set).gt, detections, "voc07")
    page = (tmp_path / "eval" / "report.html").read_text(encoding="utf-8")
    assert '<table id="voc">' in page

    best_pt = run_dir / "best.pt"
    voc12 = evaluate_checkpoint(best_pt, out=tmp_path / "eval12", worst_k=0, metric="voc12")
    assert voc12.metrics["voc"]["metric"] == "voc12" and voc12.metrics["info"]["metric"] == "voc12"
    coco = evaluate_checkpoint(best_pt, out=tmp_path / "coco", worst_k=0, metric="coco")
    assert "voc" not in coco.metrics and coco.heading.startswith("COCO bbox evaluation")
