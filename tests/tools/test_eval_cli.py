"""``tools/eval.py``: the model-free form prints the COCO (or VOC) table; a Mask R-CNN checkpoint
and ``--iou-type segm`` print and write the mask numbers too; bad invocations exit 2.

The evaluations themselves are tested in tests/evaluation/ (test_checkpoint_eval.py,
test_checkpoint_eval_masks.py, test_prediction_files_eval.py, test_coco_segm.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from detseg.data.shapes import generate_shapes
from detseg.engine.checkpointing import load_checkpoint
from detseg.engine.validation import COCO_KEYS, SEGM_KEYS

REPO = Path(__file__).resolve().parents[2]

GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 64, "height": 48}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 3,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        },
    ],
    "categories": [{"id": 3, "name": "cat"}],
}


def test_model_free_form_prints_the_table_and_writes_the_report(tmp_path, run_tool):
    gt, pred, out = tmp_path / "gt.json", tmp_path / "predictions.json", tmp_path / "out"
    gt.write_text(json.dumps(GT))
    record = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}
    pred.write_text(json.dumps([{**record, "file_name": "/data/images/a.png"}]))
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", out)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"COCO bbox evaluation of {pred} against {gt}:"
    assert "AP50" in result.stdout and "cat" in result.stdout
    assert lines[-1] == (
        f"Wrote {out / 'report.html'} with metrics.json, PR curves and confusion_matrix.png "
        f"in {out}/"
    )
    assert json.loads((out / "metrics.json").read_text())["AP"] == pytest.approx(1.0)


def test_model_free_form_with_a_voc_metric_ignores_difficult_objects(tmp_path, run_tool):
    gt, pred, out = tmp_path / "gt.json", tmp_path / "predictions.json", tmp_path / "out"
    difficult = {**GT["annotations"][0], "id": 2, "bbox": [30, 20, 20, 20], "difficult": 1}
    gt.write_text(json.dumps({**GT, "annotations": [GT["annotations"][0], difficult]}))
    found = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}
    on_difficult = {"image_id": 1, "category_id": 3, "bbox": [30, 20, 20, 20], "score": 0.95}
    pred.write_text(json.dumps([found, on_difficult]))
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", out, "--metric", "voc07")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"VOC07 and COCO bbox evaluation of {pred} against {gt}:"
    assert lines[2].split() == ["VOC07", "mAP", "IoU"] and lines[4].split() == ["1.000", "0.500"]
    assert ["cat", "1.000"] in [line.split() for line in lines]
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["voc"]["mAP"] == 1.0 and metrics["voc"]["per_class"] == {"cat": 1.0}
    assert metrics["AP"] == pytest.approx(1.0)  # COCO: the difficult object is not a miss


def test_an_unmatched_predictions_file_is_an_error(tmp_path, run_tool):
    gt, pred = tmp_path / "gt.json", tmp_path / "predictions.json"
    gt.write_text(json.dumps(GT))
    record = {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9}
    pred.write_text(json.dumps([{**record, "file_name": "elsewhere/c.png"}]))
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", tmp_path / "out")
    assert result.returncode == 2 and "no prediction file_name" in result.stderr


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give a CHECKPOINT, or --gt"),
        (["--gt", "gt.json"], "--gt and --pred go together"),
        (["run/best.pt", "--gt", "g.json", "--pred", "p.json"], "not both"),
        (["run/best.pt", "--images", "imgs"], "--images is for the --gt/--pred form"),
        (["run/best.pt", "--metric", "voc10"], "invalid choice: 'voc10'"),
        (["run/best.pt", "--iou-type", "segm"], "--iou-type is for the --gt/--pred form"),
        (["--gt", "g.json", "--pred", "p.json", "--set", "x=1"], "it has no use with --gt/--pred"),
        (["--gt", "g.json", "--pred", "p.json", "--data", "d.yaml"], "--gt names the ground"),
    ],
)
def test_bad_invocation_exits_nonzero_with_a_message(argv, message, run_tool):
    result = run_tool("eval.py", *argv)
    assert result.returncode == 2
    assert message in result.stderr


@pytest.fixture(scope="module")
def mask_training(tmp_path_factory, run_tool) -> tuple[Path, str]:
    """``(work dir, printed summary)`` of one iteration of configs/mask_rcnn/mask_rcnn_shapes.yaml
    at 64 px, run by tools/train.py."""
    root = tmp_path_factory.mktemp("shapes")
    generate_shapes(root, num_train=4, num_val=3, size=64, seed=0)
    run = tmp_path_factory.mktemp("run")
    sets = [
        f"data.root={root}",
        "model.min_size=64",
        "model.max_size=64",
        "model.representation_size=64",
        "train.max_iters=1",
        "train.batch_size=2",
        "train.num_workers=0",
        "device=cpu",
    ]
    config = "configs/mask_rcnn/mask_rcnn_shapes.yaml"
    result = run_tool("train.py", config, "--work-dir", run, "--set", *sets)
    assert result.returncode == 0, result.stderr[-3000:]
    return run, result.stdout


@pytest.fixture(scope="module")
def mask_run(mask_training) -> Path:
    """Work dir of the one-iteration Mask R-CNN run."""
    return mask_training[0]


def test_train_summary_of_a_mask_model_has_the_mask_numbers(mask_training):
    summary = mask_training[1]
    assert "Last evaluation: AP " in summary
    assert "Last mask evaluation: segm_AP " in summary


@pytest.fixture(scope="module")
def mask_eval(mask_run, run_tool):
    """``(result, out)`` of ``tools/eval.py MASK_RUN/best.pt --out OUT``."""
    out = mask_run / "eval"
    return run_tool("eval.py", mask_run / "best.pt", "--out", out), out


def test_a_mask_checkpoint_prints_and_writes_box_and_mask_ap(mask_run, mask_eval):
    result, out = mask_eval
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"COCO bbox and segm evaluation of {mask_run / 'best.pt'} on 3 images:"
    assert "COCO bbox:" in lines and "COCO segm (masks):" in lines
    metrics = json.loads((out / "metrics.json").read_text())
    recorded = load_checkpoint(mask_run / "best.pt")["meta"]["metrics"]
    for key in (*COCO_KEYS, *SEGM_KEYS):  # the numbers validation recorded, to the last digit
        assert metrics[key] == recorded[key], key
    detections = json.loads((out / "detections.json").read_text())
    assert detections and all(set(d["segmentation"]) == {"size", "counts"} for d in detections)


def test_gt_and_pred_with_iou_type_segm(mask_run, mask_eval, run_tool):
    result, out = mask_eval
    assert result.returncode == 0, result.stderr
    cfg = load_checkpoint(mask_run / "best.pt")["config"]["data"]
    gt = Path(cfg["root"]) / cfg["val_ann"]
    pred = out / "detections.json"
    files = ["--gt", gt, "--pred", pred]
    result = run_tool("eval.py", *files, "--iou-type", "segm", "--out", out / "files")
    assert result.returncode == 0, result.stderr
    heading = f"COCO bbox and segm evaluation of {pred} against {gt}:"
    assert result.stdout.splitlines()[0] == heading
    metrics = json.loads((out / "files" / "metrics.json").read_text())
    checkpoint_form = json.loads((out / "metrics.json").read_text())
    for key in (*COCO_KEYS, *SEGM_KEYS):
        assert metrics[key] == checkpoint_form[key], key


def test_help_describes_detectors_and_segmenters(run_tool):
    result = run_tool("eval.py", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    for words in ("box AP", "mask AP", "mIoU", "per-class IoU", "confusion_matrix.png"):
        assert words in text
