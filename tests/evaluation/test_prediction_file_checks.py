"""Bad records and bad ground truth in evaluate_prediction_files: one clear error, no traceback.

The messages name the file, the record's position (or the annotation's id) and the field; gt
annotations the evaluation ignores (unknown category, absent image) are warned about.
"""

from __future__ import annotations

import copy
import json
import logging

import pytest

from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.voc_coco import voc_evaluate_coco

GT = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.png", "width": 64, "height": 48},
    ],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 3,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        },
        {
            "id": 2,
            "image_id": 2,
            "category_id": 3,
            "bbox": [10, 5, 30, 30],
            "area": 900,
            "iscrowd": 0,
        },
    ],
    "categories": [{"id": 3, "name": "cat"}],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9},
    {"image_id": 2, "category_id": 3, "bbox": [10, 5, 30, 30], "score": 0.8},
]


def _files(tmp_path, gt=GT, detections=DETECTIONS):
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(detections))
    return gt_path, pred_path


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("bbox", [1, 2, 3], "detection 1 has bbox [1, 2, 3]; expected [x, y, w, h] numbers"),
        ("bbox", "1 2 3 4", "detection 1 has bbox '1 2 3 4'; expected [x, y, w, h] numbers"),
        ("score", "high", "detection 1 has score 'high'; expected a number"),
        (
            "category_id",
            [3],
            "detection 1 has category_id [3]; expected an integer (COCO ids are integers: "
            "use the ground truth's category id)",
        ),
    ],
)
def test_bad_prediction_record(tmp_path, field, value, expected):
    detections = copy.deepcopy(DETECTIONS)
    detections[1][field] = value
    gt, pred = _files(tmp_path, detections=detections)
    with pytest.raises(ValueError) as info:
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")
    assert str(info.value) == f"{pred}: {expected}"


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("bbox", [10, 10, 20], "annotation 2 has bbox [10, 10, 20]; expected [x, y, w, h] numbers"),
        ("bbox", "10 10 20 20", "annotation 2 has bbox '10 10 20 20'"),
        ("area", "big", "annotation 2 has area 'big'; expected a number"),
        ("iscrowd", 2, "annotation 2 has iscrowd 2; expected 0 or 1"),
    ],
)
def test_bad_ground_truth_annotation(tmp_path, field, value, expected):
    gt_dict = copy.deepcopy(GT)
    gt_dict["annotations"][1][field] = value
    gt, pred = _files(tmp_path, gt=gt_dict)
    with pytest.raises(ValueError, match=f"^{gt}: ") as info:
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")
    assert expected in str(info.value)
    with pytest.raises(ValueError, match="annotation 2 has"):
        coco_evaluate(gt_dict, DETECTIONS)  # the dict form checks the same


def test_duplicate_gt_image_id(tmp_path):
    gt_dict = copy.deepcopy(GT)
    gt_dict["images"][1]["id"] = 1
    gt, pred = _files(tmp_path, gt=gt_dict)
    with pytest.raises(ValueError, match=r"images\[1\] has id 1, which an earlier image has"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")


@pytest.mark.parametrize("text", ['{"images": [1,2,', '[{"image_id": 1,'])
def test_invalid_json_names_the_file(tmp_path, text):
    gt, pred = _files(tmp_path)
    bad = tmp_path / "bad.json"
    bad.write_text(text)
    with pytest.raises(ValueError, match=r"bad.json is not valid JSON \(line 1, column 17\)"):
        evaluate_prediction_files(bad, pred, out=tmp_path / "out")
    with pytest.raises(ValueError, match=r"bad.json is not valid JSON \(line 1, column 17\)"):
        evaluate_prediction_files(gt, bad, out=tmp_path / "out")


def test_png_as_ground_truth(tmp_path):
    _, pred = _files(tmp_path)
    png = tmp_path / "gt.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff")
    with pytest.raises(ValueError, match="gt.png is not a JSON text file: it looks like a PNG"):
        evaluate_prediction_files(png, pred, out=tmp_path / "out")


def test_gt_annotations_the_evaluation_ignores_are_warned_about(tmp_path, caplog):
    gt_dict = copy.deepcopy(GT)
    gt_dict["annotations"][0]["category_id"] = 99
    gt_dict["annotations"].append({**GT["annotations"][1], "id": 3, "image_id": 12345})
    gt, pred = _files(tmp_path, gt=gt_dict)
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_checks"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")
    assert "1 ground-truth annotation(s) have a category_id absent from its categories" in (
        caplog.text
    )
    assert "category_id 99: 1" in caplog.text
    assert "1 ground-truth annotation(s) have an image_id absent from its images" in caplog.text
    assert str(gt) in caplog.text


def test_voc_metric_checks_records_too():
    bad = [{**DETECTIONS[0], "score": None}]
    with pytest.raises(ValueError, match="detection 0 has score None; expected a number"):
        voc_evaluate_coco(GT, bad)


def test_an_output_file_where_the_report_folder_goes_is_refused_first(tmp_path):
    out = tmp_path / "eval"
    out.write_text("a file")
    # the gt and predictions do not even exist: the output is checked before they are read
    with pytest.raises(NotADirectoryError, match="is a file; give a folder"):
        evaluate_prediction_files(tmp_path / "gt.json", tmp_path / "pred.json", out=out)
    assert out.read_text() == "a file"


GOOD = DETECTIONS[0]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"bbox": [1, 1, -5, 5]}, r"detection 1 has bbox \[1, 1, -5, 5\] of negative size"),
        ({"bbox": [1, 1, 5, float("nan")]}, r"detection 1 has bbox .*expected \[x, y, w, h\]"),
        ({"image_id": 9}, r"detection 1 has image_id 9, which is not an image of the ground"),
        ({"image_id": None}, r"detection 1 lacks 'image_id'"),
        ({"score": None}, r"detection 1 lacks 'score';"),
        ({"category_id": None, "bbox": None}, r"detection 1 lacks 'category_id' and 'bbox';"),
    ],
)
def test_a_bad_record_is_named(tmp_path, change, message):
    bad = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    gt, pred = _files(tmp_path, detections=[GOOD, bad])
    with pytest.raises(ValueError, match=message) as info:
        evaluate_prediction_files(gt, pred, out=tmp_path / "out")
    assert str(info.value).startswith(f"{pred}: detection 1 ")


def test_segm_names_the_missing_segmentation(tmp_path):
    gt, pred = _files(tmp_path, detections=[GOOD])
    with pytest.raises(ValueError, match=r"pred.json: detection 0 has no 'segmentation'"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "out", iou_type="segm")


def test_unknown_categories_are_ignored_with_their_ids_named(tmp_path, caplog):
    gt, pred = _files(tmp_path, detections=[GOOD])
    base = evaluate_prediction_files(gt, pred, out=tmp_path / "base", worst_k=0)
    records = [GOOD, {**GOOD, "category_id": 77}, {**GOOD, "image_id": 2, "category_id": 78}]
    gt, pred = _files(tmp_path, detections=records)
    with caplog.at_level(logging.WARNING):
        summary = evaluate_prediction_files(gt, pred, out=tmp_path / "out", worst_k=0)
    assert f"{pred}: 2 detection(s) have a category_id absent from the gt" in caplog.text
    assert "category_id 77: 1" in caplog.text and "category_id 78: 1" in caplog.text
    assert "first: detection 1" in caplog.text
    assert summary.metrics["AP"] == base.metrics["AP"]


def test_the_eval_tool_says_it_in_one_line(tmp_path, run_tool):
    gt, pred = _files(tmp_path, detections=[GOOD, {**GOOD, "bbox": [1, 1, -5, 5]}])
    result = run_tool("eval.py", "--gt", gt, "--pred", pred, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "pred.json: detection 1 has bbox [1, 1, -5, 5] of negative size" in result.stderr


def test_segm_needs_image_sizes_before_polygons_are_read(tmp_path):
    """A segm evaluation names an image without ``height`` / ``width`` first: its polygons
    would otherwise be rasterised at 0 x 0."""
    no_size = copy.deepcopy(GT)
    for image in no_size["images"]:
        del image["height"], image["width"]
    for ann in no_size["annotations"]:
        ann["segmentation"] = [[4, 4, 24, 4, 24, 14, 4, 14]]
    polygon = {**GOOD, "segmentation": [[4, 4, 24, 4, 24, 14, 4, 14]]}
    del polygon["bbox"]
    gt, pred = _files(tmp_path, gt=no_size, detections=[polygon])
    with pytest.raises(ValueError, match=r"gt.json: image 1 has no 'height' and 'width'"):
        evaluate_prediction_files(gt, pred, out=tmp_path / "out", iou_type="segm")
