"""tools/eval.py writes the full evaluation report, from a checkpoint or from json files.

The scripts' ``main(argv)`` run in this process (no torchvision import per call).
The checkpoint comes from one training iteration of a tiny Faster R-CNN on a tiny
shapes set (its AP does not matter); the model-free form is checked on hand-written
ground truth and predictions whose AP is known.
"""

from __future__ import annotations

import html
import importlib.util
import json
import re
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch

from detseg.data.shapes import generate_shapes
from detseg.engine.evaluate import COCO_KEYS
from detseg.evaluation.coco import coco_evaluate

REPO = Path(__file__).resolve().parents[1]
PNGS = ("pr_curve_iou50.png", "pr_curve_iou75.png", "pr_per_class.png", "confusion_matrix.png")
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


def load_tool(name: str, monkeypatch) -> object:
    """The module of tools/<name>.py, loaded in this process."""
    spec = importlib.util.spec_from_file_location(f"detseg_tool_{name}", REPO / "tools" / name)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def eval_main(monkeypatch):
    return load_tool("eval.py", monkeypatch).main


def check_report(out: Path, class_names: list[str]) -> tuple[dict, str]:
    """The files every report has; returns ``(metrics.json, report.html)``."""
    metrics = json.loads((out / "metrics.json").read_text())
    assert set(COCO_KEYS) <= set(metrics)
    assert sorted(metrics["per_class"]) == sorted(class_names)
    for values in metrics["per_class"].values():
        assert {"AP", "AP50", "AR100"} <= set(values)
    confusion = metrics["confusion_matrix"]
    size = len(class_names) + 1  # + background
    assert np.asarray(confusion["matrix"]).shape == (size, size)
    for name in PNGS:
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", name
    page = (out / "report.html").read_text(encoding="utf-8")
    assert '<table id="summary">' in page and '<table id="per-class">' in page
    for name in class_names:
        assert f">{html.escape(name)}<" in page
    sources = [html.unescape(s) for s in re.findall(r'<img[^>]*\ssrc="([^"]*)"', page)]
    assert len(sources) >= len(PNGS)
    for source in sources:
        assert source.startswith("data:image/") or (out / source).is_file(), source[:80]
    return metrics, page


# ----------------------------------------------------------------------------- checkpoint


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=4, size=96, seed=0)
    return root


@pytest.fixture
def checkpoint(shapes, tmp_path, monkeypatch) -> Path:
    """best.pt of a one-iteration run of configs/demo.yaml with a tiny model."""
    train = load_tool("train.py", monkeypatch).main
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        argv = ["configs/demo.yaml", "--work-dir", str(tmp_path / "run"), "--set"]
        assert train([*argv, *TINY, f"data.root={shapes}"]) == 0
    finally:
        torch.set_num_threads(threads)
    return tmp_path / "run" / "best.pt"


def test_checkpoint_form_writes_the_full_report(checkpoint, shapes, tmp_path, eval_main, capsys):
    out = tmp_path / "report"
    assert eval_main([str(checkpoint), "--out", str(out), "--backend", "pycocotools"]) == 0
    classes = json.loads((shapes / "annotations" / "instances_val.json").read_text())
    metrics, page = check_report(out, [c["name"] for c in classes["categories"]])
    # One evaluation, the right one: the numbers are those of the saved detections.
    detections = json.loads((out / "detections.json").read_text())
    expected = coco_evaluate(
        shapes / "annotations" / "instances_val.json", detections, backend="pycocotools"
    )
    assert {k: metrics[k] for k in COCO_KEYS} == {k: expected[k] for k in COCO_KEYS}
    assert metrics["per_class"] == expected["per_class"]
    assert metrics["info"]["checkpoint"] == str(checkpoint)
    # A one-iteration model misses objects: the gallery shows val images, drawn.
    assert '<table id="worst-images">' in page and "data:image/jpeg;base64," in page
    assert "AP50" in capsys.readouterr().out


# ----------------------------------------------------------------------------- model-free

GT_BOXES = [(1, 3, [4, 4, 20, 10]), (1, 7, [30, 20, 16, 16]), (2, 3, [10, 5, 30, 30])]
GT = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.png", "width": 64, "height": 48},
    ],
    "annotations": [
        {"id": k + 1, "image_id": i, "category_id": c, "bbox": b, "area": b[2] * b[3], "iscrowd": 0}
        for k, (i, c, b) in enumerate(GT_BOXES)
    ],  # areas 200, 256, 900: all small (< 32 * 32)
    "categories": [{"id": 3, "name": "cat"}, {"id": 7, "name": "dog"}],
}


def write_inputs(folder: Path, predictions: list[dict]) -> tuple[Path, Path, Path]:
    """``(gt json, predictions json, images folder)`` with the two gt images drawn."""
    images = folder / "images"
    images.mkdir(parents=True)
    for img in GT["images"]:
        canvas = np.full((img["height"], img["width"], 3), 40 * img["id"], dtype=np.uint8)
        assert cv2.imwrite(str(images / img["file_name"]), canvas)
    gt, pred = folder / "gt.json", folder / "predictions.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(predictions))
    return gt, pred, images


def infer_style(image_id: int, file_name: str, ann: dict, score: float) -> dict:
    """A record as tools/infer.py writes it: image_id = position in its input list."""
    return {"image_id": image_id, "category_id": ann["category_id"], "bbox": ann["bbox"],
            "score": score, "file_name": file_name}  # fmt: skip


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_model_free_perfect_predictions_matched_by_file_name(tmp_path, eval_main, backend):
    # infer.py was given b.png first: its image ids 1, 2 are the gt's 2, 1.
    anns = GT["annotations"]
    records = [
        infer_style(1, "/data/run/images/b.png", anns[2], 0.9),
        infer_style(2, "/data/run/images/a.png", anns[0], 0.8),
        infer_style(2, "/data/run/images/a.png", anns[1], 0.7),
    ]
    gt, pred, images = write_inputs(tmp_path, records)
    out = tmp_path / "out"
    argv = ["--gt", str(gt), "--pred", str(pred), "--images", str(images), "--out", str(out)]
    assert eval_main([*argv, "--backend", backend]) == 0
    metrics, page = check_report(out, ["cat", "dog"])
    for key in ("AP", "AP50", "AP75", "AR1", "AR10", "AR100"):
        assert metrics[key] == pytest.approx(1.0, abs=1e-12), key
    assert metrics["APm"] == -1.0 and metrics["APl"] == -1.0  # every gt box is small
    for values in metrics["per_class"].values():
        assert values["AP"] == pytest.approx(1.0, abs=1e-12)
    assert metrics["confusion_matrix"]["matrix"] == [[2, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert "Every image is perfect" in page


def test_model_free_half_recall_and_plain_coco_results(tmp_path, eval_main):
    # Plain COCO results (no file_name): ids are the gt's. Only the cat of image 2 is found,
    # plus a confident false positive on image 1. Cat: precision 1/2 at recall 1/2 (the FP
    # scores higher), dog: nothing. AP50 per class: cat 0.5 * 51/101, dog 0.
    fp = {"image_id": 1, "category_id": 3, "bbox": [40, 0, 20, 10], "score": 0.95}
    hit = {"image_id": 2, "category_id": 3, "bbox": [10, 5, 30, 30], "score": 0.9}
    gt, pred, images = write_inputs(tmp_path, [fp, hit])
    out = tmp_path / "out"
    argv = ["--gt", str(gt), "--pred", str(pred), "--images", str(images), "--out", str(out)]
    assert eval_main([*argv, "--backend", "pycocotools", "--score-thr", "0.5"]) == 0
    metrics, page = check_report(out, ["cat", "dog"])
    cat = 0.5 * 51 / 101
    assert metrics["per_class"]["cat"]["AP50"] == pytest.approx(cat, abs=1e-12)
    assert metrics["per_class"]["dog"]["AP50"] == 0.0
    assert metrics["AP50"] == pytest.approx(cat / 2, abs=1e-12)
    assert metrics["AR100"] == pytest.approx(0.25, abs=1e-12)  # cat 1/2, dog 0
    # rows: gt cat, dog, background; columns: predicted cat, dog, background (missed)
    assert metrics["confusion_matrix"]["matrix"] == [[1, 0, 1], [0, 0, 1], [1, 0, 0]]
    # Image 1 is the worst (F1 0): drawn from --images.
    assert "data:image/jpeg;base64," in page and ">a.png<" in page and ">b.png<" not in page


def test_model_free_file_names_that_match_no_gt_image(tmp_path, eval_main):
    record = infer_style(1, "elsewhere/c.png", GT["annotations"][0], 0.9)
    gt, pred, _ = write_inputs(tmp_path, [record])
    with pytest.raises(ValueError, match="no prediction file_name"):
        eval_main(["--gt", str(gt), "--pred", str(pred), "--out", str(tmp_path / "out")])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a CHECKPOINT, or --gt"),
        (["--gt", "gt.json"], "--gt and --pred go together"),
        (["run/best.pt", "--gt", "g.json", "--pred", "p.json"], "not both"),
        (["run/best.pt", "--images", "imgs"], "--images is for the --gt/--pred form"),
    ],
)
def test_bad_invocation_exits_nonzero_with_a_message(argv, message, eval_main, capsys):
    with pytest.raises(SystemExit) as exit_info:
        eval_main(argv)
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err
