"""``evaluate_prediction_files`` and ``evaluate_checkpoint`` (detector and segmenter), called from
Python, keep the earlier evaluation's files of their output folder until the new ones are all
written: an evaluation that fails half-way leaves them byte for byte as they were."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from random_checkpoints import write_checkpoint

import detseg.evaluation.checkpoint_segmentation_eval as checkpoint_segmentation_eval
import detseg.evaluation.summary as summary_module
from detseg.data.shapes import generate_shapes
from detseg.evaluation.checkpoint_eval import evaluate_checkpoint
from detseg.evaluation.output_staging import STAGING_PREFIX
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

SEGMENTER = [
    "model.base_channels=8",
    "model.depth=2",
    "eval.crf.iterations=0",
    "eval.tta=none",
    "device=cpu",
]
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "iscrowd": 0}
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
RECORD = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}


def _contents(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def _fail(*args, **kwargs):
    raise RuntimeError("disk full")


def test_a_failed_prediction_files_evaluation_keeps_the_earlier_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    (tmp_path / "pred.json").write_text(json.dumps([RECORD]), encoding="utf-8")
    out = tmp_path / "eval"
    summary = evaluate_prediction_files(
        tmp_path / "gt.json", tmp_path / "pred.json", out, worst_k=0
    )
    assert summary.wrote == [
        f"Wrote {out / 'report.html'} with metrics.json, PR curves and confusion_matrix.png "
        f"in {out}/"
    ]
    before = _contents(out)
    assert {"metrics.json", "report.html", "confusion_matrix.png"} <= set(before)
    monkeypatch.setattr(summary_module, "write_detection_report", _fail)
    with pytest.raises(RuntimeError, match="disk full"):
        evaluate_prediction_files(tmp_path / "gt.json", tmp_path / "pred.json", out, worst_k=0)
    assert _contents(out) == before


def test_a_failed_segmenter_evaluation_keeps_the_earlier_results(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=1, size=64, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "seg.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER
    )
    out = tmp_path / "eval"
    out.mkdir()
    (out / "report.html").write_text("an earlier detector's report", encoding="utf-8")
    overrides = [f"data.root={root}"]
    summary = evaluate_checkpoint(checkpoint, out=out, overrides=overrides)
    assert summary.wrote == [
        f"Wrote {out / 'confusion_matrix.png'}",
        f"Wrote {out / 'metrics.json'}",
    ]
    before = _contents(out)
    assert sorted(before) == ["confusion_matrix.png", "metrics.json"]
    monkeypatch.setattr(checkpoint_segmentation_eval, "write_segmentation_metrics", _fail)
    with pytest.raises(RuntimeError, match="disk full"):
        evaluate_checkpoint(checkpoint, out=out, overrides=overrides)
    assert _contents(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]
