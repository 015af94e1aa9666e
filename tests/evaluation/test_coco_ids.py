"""COCO ids in the evaluation: integers (a whole float such as ``3.0`` too), never strings.

Every evaluation (COCO AP, VOC AP of COCO files, the confusion matrix, the report's worst
images, ``file_name`` matching) reads image and category ids as integers, so a string id is
refused by the input check with one line naming the file and the entry, and a whole float
gives the same numbers as its integer.
"""

from __future__ import annotations

import copy
import json

import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_checks import check_detection, check_ground_truth
from detseg.evaluation.detection_confusion import detection_confusion
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.voc_coco import voc_evaluate_coco


def _box(ann_id: int, image_id: int, bbox: list[int]) -> dict:
    """A ground-truth annotation of category 3."""
    area = bbox[2] * bbox[3]
    return {
        "id": ann_id,
        "image_id": image_id,
        "category_id": 3,
        "bbox": bbox,
        "area": area,
        "iscrowd": 0,
    }


GT = {
    "images": [
        {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
        {"id": 2, "file_name": "b.png", "width": 64, "height": 48},
    ],
    "annotations": [_box(1, 1, [4, 4, 20, 10]), _box(2, 2, [10, 5, 30, 30])],
    "categories": [{"id": 3, "name": "cat"}],
}
DETECTIONS = [
    {"image_id": 1, "category_id": 3, "bbox": [4, 4, 20, 10], "score": 0.9},
    {"image_id": 2, "category_id": 3, "bbox": [30, 30, 20, 10], "score": 0.8},
]


def _with_string_image_ids() -> tuple[dict, list[dict]]:
    """GT and DETECTIONS with image 1 renamed ``"img1"`` everywhere (consistent, but strings)."""
    gt, dets = copy.deepcopy(GT), copy.deepcopy(DETECTIONS)
    gt["images"][0]["id"] = gt["annotations"][0]["image_id"] = dets[0]["image_id"] = "img1"
    return gt, dets


STRING_IMAGE_ID = r"^the ground truth: images\[0\] has id 'img1'; COCO ids are integers"


@pytest.mark.parametrize(
    "evaluate",
    [
        lambda gt, dets: coco_evaluate(gt, dets, backend="pycocotools"),
        lambda gt, dets: coco_evaluate(gt, dets, backend="faster"),
        lambda gt, dets: voc_evaluate_coco(gt, dets, "voc12"),
        lambda gt, dets: detection_confusion(gt, dets),
    ],
    ids=["pycocotools", "faster", "voc12", "confusion"],
)
def test_a_string_image_id_is_refused_by_every_evaluation(evaluate):
    gt, dets = _with_string_image_ids()
    with pytest.raises(ValueError, match=STRING_IMAGE_ID):
        evaluate(gt, dets)


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda gt: gt["annotations"][1].update(image_id="2"),
            "annotation 2 has image_id '2'; expected an integer (COCO ids are integers: use "
            "the integer id of its image entry)",
        ),
        (
            lambda gt: gt["categories"][0].update(id="3"),
            "categories[0] has id '3'; COCO ids are integers: give every category an integer "
            "id (and name it by that id in the annotations)",
        ),
        (lambda gt: gt["images"][1].update(id=True), "images[1] has id True; COCO ids are"),
        (lambda gt: gt["images"][1].update(id=2.5), "images[1] has id 2.5; COCO ids are"),
        (
            lambda gt: gt["categories"].append({"id": 3.0, "name": "dog"}),
            "categories[1] has id 3.0, which an earlier category has; give every category a "
            "unique id",
        ),
    ],
    ids=["annotation-image_id", "category-id", "bool", "fraction", "duplicate-category"],
)
def test_ground_truth_ids_must_be_unique_integers(edit, expected):
    gt = copy.deepcopy(GT)
    edit(gt)
    with pytest.raises(ValueError) as info:
        check_ground_truth(gt, "gt.json")
    assert str(info.value).startswith(f"gt.json: {expected}")


@pytest.mark.parametrize("key", ["image_id", "category_id"])
def test_a_string_id_in_a_detection_is_refused(key):
    with pytest.raises(ValueError, match=rf"^pred.json: detection 4 has {key} '1'; expected an"):
        check_detection({**DETECTIONS[0], key: "1"}, 4, "pred.json")


def _with_float_ids() -> tuple[dict, list[dict]]:
    """GT and DETECTIONS with every image and category id written as a whole float."""
    gt, dets = copy.deepcopy(GT), copy.deepcopy(DETECTIONS)
    for entry in gt["images"] + gt["categories"]:
        entry["id"] = float(entry["id"])
    for record in gt["annotations"] + dets:
        record["image_id"] = float(record["image_id"])
        record["category_id"] = float(record["category_id"])
    return gt, dets


@pytest.mark.parametrize("backend", ["pycocotools", "faster"])
def test_whole_float_ids_give_the_numbers_of_integer_ids(backend):
    gt, dets = _with_float_ids()
    assert coco_evaluate(gt, dets, backend=backend) == coco_evaluate(
        GT, DETECTIONS, backend=backend
    )
    assert voc_evaluate_coco(gt, dets, "voc07") == voc_evaluate_coco(GT, DETECTIONS, "voc07")
    floats, ints = detection_confusion(gt, dets), detection_confusion(GT, DETECTIONS)
    assert (floats.matrix == ints.matrix).all()
    assert floats.f1_per_image() == ints.f1_per_image()


def test_the_report_of_whole_float_ids_lists_the_worst_image(tmp_path):
    gt, dets = _with_float_ids()
    (tmp_path / "gt.json").write_text(json.dumps(gt))
    (tmp_path / "pred.json").write_text(json.dumps(dets))
    summary = evaluate_prediction_files(tmp_path / "gt.json", tmp_path / "pred.json", worst_k=2)
    # image a: found (score 0.9); image b: the one detection has IoU 50 / 1050 with its object.
    # Ranks [TP, FP] over 2 objects: precision 1 up to recall 0.5, the 51 recall points
    # 0, 0.01, .., 0.5 of 101.
    assert summary.metrics["AP50"] == pytest.approx(51 / 101, abs=1e-12)
    assert "b.png" in (tmp_path / "eval" / "report.html").read_text(encoding="utf-8")


def test_the_eval_tool_refuses_a_string_id_in_one_line(tmp_path, run_tool):
    gt, dets = _with_string_image_ids()
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(dets))
    result = run_tool("eval.py", "--gt", gt_path, "--pred", pred_path, "--out", tmp_path / "out")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"eval: error: {gt_path}: images[0] has id 'img1'; COCO ids are integers: give every "
        "image an integer id (and name it by that id in the annotations)"
    ]
