"""``tools/eval.py`` keeps the earlier evaluation's files of its --out folder until the new ones
are all written: an evaluation that fails half-way (bad data, Ctrl-C) leaves them as they were,
a detector's or a segmenter's, and a failed first evaluation leaves none of the folders it
created."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from random_checkpoints import write_checkpoint

import detseg.evaluation.checkpoint_segmentation_eval as checkpoint_segmentation_eval
import detseg.evaluation.summary as summary_module
from detseg.data.shapes import generate_shapes
from detseg.evaluation.output_staging import STAGING_PREFIX

TOOL = Path(__file__).resolve().parents[2] / "tools" / "eval.py"
GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "iscrowd": 0}
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
RECORD = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}
SEGMENTER = [
    "model.base_channels=8",
    "model.depth=2",
    "eval.crf.iterations=0",
    "eval.tta=none",
    "device=cpu",
]


@pytest.fixture(scope="module")
def tool():
    spec = importlib.util.spec_from_file_location("tool_eval_staging", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _inputs(folder: Path) -> list[str]:
    (folder / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    (folder / "pred.json").write_text(json.dumps([RECORD]), encoding="utf-8")
    return ["--gt", str(folder / "gt.json"), "--pred", str(folder / "pred.json")]


def test_a_failed_evaluation_keeps_the_earlier_results(tool, tmp_path, monkeypatch, capsys):
    out = tmp_path / "eval"
    args = [*_inputs(tmp_path), "--out", str(out), "--worst-k", "0"]
    assert tool.main(args) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert {"metrics.json", "confusion_matrix.png", "report.html"} <= set(before)
    printed = capsys.readouterr().out
    assert f"in {out}/" in printed and STAGING_PREFIX not in printed

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(summary_module, "write_detection_report", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tool.main(args)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_failed_first_evaluation_leaves_no_folder(tool, tmp_path, monkeypatch):
    out = tmp_path / "eval"

    def failing(*args, **kwargs):
        raise ValueError("bad data")

    monkeypatch.setattr(summary_module, "write_detection_report", failing)
    with pytest.raises(ValueError, match="bad data"):
        tool.main([*_inputs(tmp_path), "--out", str(out)])
    assert not out.exists()


def test_stale_files_go_and_the_predictions_input_stays(tool, tmp_path):
    out = tmp_path / "eval"
    out.mkdir()
    (out / "pr_curve_iou75.png").write_text("earlier", encoding="utf-8")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (tmp_path / "gt.json").write_text(json.dumps(GT), encoding="utf-8")
    (out / "detections.json").write_text(json.dumps([RECORD]), encoding="utf-8")
    args = ["--gt", str(tmp_path / "gt.json"), "--pred", str(out / "detections.json")]
    assert tool.main([*args, "--worst-k", "0"]) == 0  # default --out: the --pred folder/eval
    assert (out / "eval" / "metrics.json").is_file()
    assert (out / "pr_curve_iou75.png").read_text(encoding="utf-8") == "earlier"
    assert tool.main([*args, "--out", str(out), "--worst-k", "0"]) == 0
    assert (out / "pr_curve_iou75.png").read_bytes() != b"earlier"
    assert json.loads((out / "detections.json").read_text(encoding="utf-8")) == [RECORD]
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert not [p for p in out.iterdir() if p.name.startswith(STAGING_PREFIX)]


def test_a_failed_segmenter_evaluation_keeps_the_earlier_results(
    tool, tmp_path, monkeypatch, capsys
):
    root = tmp_path / "shapes"
    generate_shapes(root, num_train=1, num_val=1, size=64, seed=0)
    checkpoint = write_checkpoint(
        tmp_path / "seg.pt", "configs/segmentation/unet_shapes.yaml", SEGMENTER
    )
    out = tmp_path / "a" / "b" / "eval"
    args = [str(checkpoint), "--set", f"data.root={root}", "--out", str(out)]
    assert tool.main(args) == 0
    printed = capsys.readouterr().out
    assert f"Wrote {out / 'metrics.json'}" in printed and STAGING_PREFIX not in printed
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def failing(*args, **kwargs):
        raise ValueError("bad label map")

    monkeypatch.setattr(checkpoint_segmentation_eval, "write_segmentation_metrics", failing)
    with pytest.raises(ValueError, match="bad label map"):
        tool.main(args)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    with pytest.raises(ValueError, match="bad label map"):
        tool.main([*args[:-1], str(tmp_path / "new" / "eval")])
    assert not (tmp_path / "new").exists()
