"""A new evaluation into the output folder of an earlier one leaves none of the earlier files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import write_checkpoint

from detseg.data.shapes import generate_shapes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.report import EVALUATION_FILES, remove_stale_outputs

SEGMENTER = [
    "model.base_channels=8",
    "model.depth=2",
    "eval.crf.iterations=0",
    "eval.tta=none",
    "device=cpu",
]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 64}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [5, 5, 20, 20],
            "area": 400,
            "iscrowd": 0,
        }
    ],
    "categories": [{"id": 1, "name": "box"}],
}
DETECTIONS = [{"image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "score": 0.9}]


def _earlier_detector_outputs(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name in EVALUATION_FILES:
        (out / name).write_text("earlier", encoding="utf-8")


def test_a_segmenter_evaluation_removes_an_earlier_detector_report(tmp_path: Path) -> None:
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=2, size=64, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "seg.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER
    )
    out = tmp_path / "eval"
    _earlier_detector_outputs(out)
    evaluate_checkpoint(checkpoint, out=out, overrides=[f"data.root={root}"])
    assert sorted(p.name for p in out.iterdir()) == ["confusion_matrix.png", "metrics.json"]
    assert "mIoU" in json.loads((out / "metrics.json").read_text(encoding="utf-8"))


def test_the_model_free_form_removes_an_earlier_detections_json(tmp_path: Path) -> None:
    (tmp_path / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps(DETECTIONS), encoding="utf-8")
    out = tmp_path / "eval"
    _earlier_detector_outputs(out)
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    evaluate_prediction_files(tmp_path / "gt.json", tmp_path / "pred.json", out=out)
    assert not (out / "detections.json").exists()
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    for name in set(EVALUATION_FILES) - {"detections.json"}:
        assert (out / name).read_bytes() != b"earlier", name


def test_the_predictions_file_itself_is_kept(tmp_path: Path) -> None:
    out = tmp_path / "eval"
    out.mkdir()
    (tmp_path / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    pred = out / "detections.json"
    pred.write_text(json.dumps(DETECTIONS), encoding="utf-8")
    summary = evaluate_prediction_files(tmp_path / "gt.json", pred, out=out)
    assert json.loads(pred.read_text(encoding="utf-8")) == DETECTIONS
    assert summary.metrics["AP"] == pytest.approx(1.0)


def test_remove_stale_outputs_touches_only_evaluation_files(tmp_path: Path) -> None:
    _earlier_detector_outputs(tmp_path)
    (tmp_path / "best.pt").write_text("weights", encoding="utf-8")
    removed = remove_stale_outputs(tmp_path, keep=[tmp_path / "metrics.json"])
    assert sorted(p.name for p in removed) == sorted(set(EVALUATION_FILES) - {"metrics.json"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["best.pt", "metrics.json"]
    assert remove_stale_outputs(tmp_path / "missing") == []
