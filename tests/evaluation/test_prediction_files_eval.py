"""evaluate_prediction_files: the report of a predictions file against a COCO ground truth.

Hand-written ground truth and predictions whose AP is known; records with a ``file_name`` (as
tools/infer.py writes) take the id of the gt image their path ends with.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import cv2
import numpy as np
import pytest

from detseg.evaluation.output_staging import STAGING_PREFIX
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

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
    return dict(
        image_id=image_id,
        category_id=ann["category_id"],
        bbox=ann["bbox"],
        score=score,
        file_name=file_name,
    )


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_perfect_predictions_matched_by_file_name(tmp_path, backend, check_report):
    # infer.py was given b.png first: its image ids 1, 2 are the gt's 2, 1.
    anns = GT["annotations"]
    records = [
        infer_style(1, "/data/run/images/b.png", anns[2], 0.9),
        infer_style(2, "/data/run/images/a.png", anns[0], 0.8),
        infer_style(2, "/data/run/images/a.png", anns[1], 0.7),
    ]
    gt, pred, images = write_inputs(tmp_path, records)
    out = tmp_path / "out"
    summary = evaluate_prediction_files(gt, pred, out, images_dir=images, backend=backend)
    metrics, page = check_report(out, ["cat", "dog"])
    assert summary.metrics == metrics and metrics["info"]["backend"] == backend
    for key in ("AP", "AP50", "AP75", "AR1", "AR10", "AR100"):
        assert metrics[key] == pytest.approx(1.0, abs=1e-12), key
    assert metrics["APm"] == -1.0 and metrics["APl"] == -1.0  # every gt box is small
    for values in metrics["per_class"].values():
        assert values["AP"] == pytest.approx(1.0, abs=1e-12)
    assert metrics["confusion_matrix"]["matrix"] == [[2, 0, 0], [0, 1, 0], [0, 0, 0]]
    assert "Every image is perfect" in page
    assert summary.heading == f"COCO bbox evaluation of {pred} against {gt}"


def test_half_recall_and_plain_coco_results(tmp_path, check_report):
    # Plain COCO results (no file_name): ids are the gt's. Only the cat of image 2 is found,
    # plus a confident false positive on image 1. Cat: precision 1/2 at recall 1/2 (the FP
    # scores higher), dog: nothing. AP50 per class: cat 0.5 * 51/101, dog 0.
    fp = {"image_id": 1, "category_id": 3, "bbox": [40, 0, 20, 10], "score": 0.95}
    hit = {"image_id": 2, "category_id": 3, "bbox": [10, 5, 30, 30], "score": 0.9}
    gt, pred, images = write_inputs(tmp_path, [fp, hit])
    out = tmp_path / "out"
    evaluate_prediction_files(
        gt, pred, out, images_dir=images, backend="pycocotools", score_threshold=0.5
    )
    metrics, page = check_report(out, ["cat", "dog"])
    cat = 0.5 * 51 / 101
    assert metrics["per_class"]["cat"]["AP50"] == pytest.approx(cat, abs=1e-12)
    assert metrics["per_class"]["dog"]["AP50"] == 0.0
    assert metrics["AP50"] == pytest.approx(cat / 2, abs=1e-12)
    assert metrics["AR100"] == pytest.approx(0.25, abs=1e-12)  # cat 1/2, dog 0
    # rows: gt cat, dog, background; columns: predicted cat, dog, background (missed)
    assert metrics["confusion_matrix"]["matrix"] == [[1, 0, 1], [0, 0, 1], [1, 0, 0]]
    # Image 1 is the worst (F1 0): drawn from the images folder.
    assert "data:image/jpeg;base64," in page and ">a.png<" in page and ">b.png<" not in page


def test_default_output_folder_is_next_to_the_predictions(tmp_path):
    gt, pred, _ = write_inputs(tmp_path, [infer_style(1, "a.png", GT["annotations"][0], 0.9)])
    summary = evaluate_prediction_files(gt, pred)
    assert (tmp_path / "eval" / "report.html").is_file()
    assert summary.wrote == [
        f"Wrote {tmp_path / 'eval' / 'report.html'} with metrics.json, PR curves and "
        f"confusion_matrix.png in {tmp_path / 'eval'}/"
    ]


def test_file_names_that_match_no_gt_image(tmp_path):
    record = infer_style(1, "elsewhere/c.png", GT["annotations"][0], 0.9)
    gt, pred, _ = write_inputs(tmp_path, [record])
    with pytest.raises(ValueError, match="no prediction file_name"):
        evaluate_prediction_files(gt, pred, tmp_path / "out")


def test_missing_and_malformed_inputs(tmp_path):
    gt, pred, _ = write_inputs(tmp_path, [])
    with pytest.raises(FileNotFoundError, match="is not a file"):
        evaluate_prediction_files(tmp_path / "missing.json", pred)
    with pytest.raises(ValueError, match="holds a json object, not a list"):
        evaluate_prediction_files(gt, gt)
    with pytest.raises(FileNotFoundError) as caught:
        evaluate_prediction_files(gt, pred, images_dir=tmp_path / "nowhere")
    assert str(caught.value) == (
        f"images folder {tmp_path / 'nowhere'} does not exist: give the folder the ground "
        "truth's file names are relative to (--images with detseg-eval, images_dir in Python), "
        "or leave it out (the worst images are then listed without pictures)"
    )
    with pytest.raises(FileNotFoundError, match=f"images folder {gt} is a file, not a folder"):
        evaluate_prediction_files(gt, pred, images_dir=gt)


def test_the_log_names_the_output_folder_not_the_staging_folder(tmp_path: Path, caplog) -> None:
    # The report is written into a hidden staging folder, then moved into ``out``: a logged
    # staging path would name a file that no longer exists.
    records = [dict(ann, score=0.9) for ann in GT["annotations"]]
    gt, pred, images = write_inputs(tmp_path, records)
    out = tmp_path / "out"
    with caplog.at_level(logging.DEBUG, logger="detseg"):
        summary = evaluate_prediction_files(gt, pred, out, images_dir=images, worst_k=1)
    info = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    debug = [r.getMessage() for r in caplog.records if r.levelno < logging.INFO]
    assert any(STAGING_PREFIX in line for line in debug)  # the staging did happen
    assert not [line for line in info if STAGING_PREFIX in line]
    assert not [line for line in summary.wrote if STAGING_PREFIX in line]
    assert any(str(out / "report.html") in line for line in summary.wrote)
