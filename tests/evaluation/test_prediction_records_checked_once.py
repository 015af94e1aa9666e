"""Each record of a predictions file is checked once per evaluation.

``evaluate_prediction_files`` checks every record (messages naming the file and the record's
position) and hands them on as ``CheckedDetections``: the COCO evaluation, the confusion matrix,
the VOC AP and the report's mask boxes read them without their own per-record checks, which
they still run on plain lists.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
from two_image_ground_truth import GT, SQUARE

import detseg.evaluation.coco_checks as coco_checks
from detseg.evaluation.checked_detections import CheckedDetections, checked_fields
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.detection_confusion import detection_confusion
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

RECORDS = [
    {"image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 20], "score": 0.9},
    {"file_name": "x/b.png", "category_id": 2, "bbox": [4, 4, 20, 20], "score": 0.8},
    {"image_id": 2, "category_id": 1, "bbox": [0, 0, 9, 9], "score": 0.4},
    {"image_id": 2, "category_id": 5, "bbox": [1, 1, 9, 9], "score": 0.3},  # unknown class
]
CHECKS = ("check_detection", "check_required_fields", "check_segmentation", "check_rle_strings")


@pytest.fixture
def check_calls(monkeypatch) -> Counter:
    """Calls of the per-record checks of ``coco_checks``, by name, wherever a module of detseg
    imported them (those of masks only where they check detections, not the gt's)."""
    calls: Counter = Counter()

    def counted(name: str, check: Callable) -> Callable:
        def wrapper(*args, **kwargs):
            where = args[1](0) if name == "check_rle_strings" else str(args[1])
            of_masks = name in ("check_segmentation", "check_rle_strings")
            if not of_masks or "detection" in where:  # not the gt's masks
                calls[name] += 1
            return check(*args, **kwargs)

        return wrapper

    for name in CHECKS:
        check = getattr(coco_checks, name)
        for module in list(sys.modules.values()):
            if module.__name__.startswith("detseg.") and getattr(module, name, None) is check:
                monkeypatch.setattr(module, name, counted(name, check))
    return calls


def write_inputs(folder: Path, records: list[dict]) -> tuple[Path, Path]:
    gt, pred = folder / "gt.json", folder / "predictions.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(records))
    return gt, pred


@pytest.mark.parametrize("metric", ["coco", "voc07"])
def test_box_records_are_checked_once(tmp_path, check_calls, metric):
    gt, pred = write_inputs(tmp_path, RECORDS)
    summary = evaluate_prediction_files(gt, pred, out=tmp_path / "eval", metric=metric)
    assert summary.metrics["AP50"] > 0.5
    assert check_calls == {"check_detection": len(RECORDS)}


def test_mask_records_are_checked_once(tmp_path, check_calls):
    records = [{**record, "segmentation": SQUARE} for record in RECORDS]
    del records[0]["bbox"]  # given the box of its mask by the report
    gt, pred = write_inputs(tmp_path, records)
    summary = evaluate_prediction_files(gt, pred, out=tmp_path / "eval", iou_type="segm")
    assert summary.metrics["segm_AP50"] > 0.5
    n = len(records)
    assert check_calls == {"check_detection": n, "check_segmentation": n, "check_rle_strings": 1}


def test_plain_lists_are_still_checked(check_calls):
    records = [{k: v for k, v in r.items() if k != "file_name"} for r in RECORDS[:1]]
    coco_evaluate(GT, records)
    detection_confusion(GT, records)
    assert check_calls == {"check_detection": 2, "check_required_fields": 2}
    with pytest.raises(ValueError, match="detection 0 has bbox"):
        coco_evaluate(GT, [{**records[0], "bbox": [1, 2, 3]}])


def test_checked_records_still_name_a_gt_image():
    records = CheckedDetections(
        [{"image_id": 9, "category_id": 1, "bbox": [0, 0, 4, 4], "score": 0.5}],
        ("image_id", "category_id", "score", "bbox"),
    )
    assert checked_fields(records, ("bbox", "score"))
    assert not checked_fields(records, ("segmentation",))
    assert not checked_fields(list(records), ("bbox",))
    with pytest.raises(ValueError, match="detection 0 has image_id 9, which is not an image"):
        coco_evaluate(GT, records)
