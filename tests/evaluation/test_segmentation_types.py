"""A ``segmentation`` that is neither COCO polygons (a list of lists of numbers) nor an RLE (a
dict with ``size`` and ``counts``), in a result or in the ground truth of a mask evaluation:
one line naming the detection (its position and image id) or the annotation, instead of a
``TypeError`` / ``KeyError`` from the libraries or, for a flat ``[x1, y1, ...]`` list, a mask
silently drawn empty."""

from __future__ import annotations

import copy
import json

import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.report import write_detection_report

SQUARE = [5.0, 3.0, 30.0, 3.0, 30.0, 25.0, 5.0, 25.0]
GT = {
    "images": [{"id": 1, "height": 40, "width": 50}, {"id": 7, "height": 40, "width": 50}],
    "categories": [{"id": 1, "name": "box"}],
    "annotations": [
        {
            "id": 3,
            "image_id": 7,
            "category_id": 1,
            "bbox": [5.0, 3.0, 25.0, 22.0],
            "area": 550.0,
            "iscrowd": 0,
            "segmentation": [SQUARE],
        }
    ],
}
BAD = [
    ("abc", "a value of type str"),
    (5, "a value of type int"),
    (SQUARE, "a polygon part is not a list"),
    ([["a", 1, 2, 3, 4, 5]], "a polygon part holds something other than finite numbers"),
    ({"counts": "abc"}, "the RLE lacks 'size'"),
    ({"size": [40, 50], "counts": 5}, "the RLE counts are neither a string nor a list"),
    ({"size": "40x50", "counts": "abc"}, "the RLE size is not"),
]


def _results(segmentation) -> list[dict]:
    good = {"image_id": 7, "category_id": 1, "score": 0.9, "segmentation": [SQUARE]}
    return [good, {**good, "score": 0.5, "segmentation": segmentation}]


@pytest.mark.parametrize("backend", ["pycocotools", "faster"])
@pytest.mark.parametrize(("segmentation", "problem"), BAD)
def test_a_bad_result_segmentation_is_named(backend, segmentation, problem):
    with pytest.raises(ValueError) as error:
        coco_evaluate(GT, _results(segmentation), iou_type="segm", backend=backend)
    message = str(error.value)
    assert message.startswith("detection 1 (image 7) has segmentation ") and problem in message
    assert "\n" not in message


@pytest.mark.parametrize(("segmentation", "problem"), BAD)
def test_a_bad_ground_truth_segmentation_is_named(segmentation, problem):
    gt = copy.deepcopy(GT)
    gt["annotations"][0]["segmentation"] = segmentation
    with pytest.raises(ValueError, match=r"^the ground truth: annotation 3 \(image 7\) has segm"):
        coco_evaluate(gt, _results([SQUARE]), iou_type="segm")


def test_a_bbox_evaluation_does_not_read_the_segmentations():
    gt = copy.deepcopy(GT)
    gt["annotations"][0]["segmentation"] = "abc"
    dets = [{"image_id": 7, "category_id": 1, "score": 0.9, "bbox": [5.0, 3.0, 25.0, 22.0]}]
    assert coco_evaluate(gt, [{**dets[0], "segmentation": 5}])["AP"] == pytest.approx(1.0)


def test_prediction_file_and_report_name_the_record(tmp_path):
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    pred.write_text(json.dumps(_results("abc")))
    with pytest.raises(ValueError, match=rf"^{pred}: detection 1 \(image 7\) has segmentation 'a"):
        evaluate_prediction_files(gt, pred, tmp_path / "out", iou_type="segm")
    with pytest.raises(ValueError, match=r"^detection 1 \(image 7\) has segmentation 'abc'"):
        write_detection_report(tmp_path / "report", GT, _results("abc"), segm=True)
