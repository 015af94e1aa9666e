"""Evaluation arguments of a wrong type are one ValueError naming them: the ``num_classes``
and ``ignore_index`` of a segmentation confusion matrix (``1.5`` failed inside
``torch.zeros``, a string ``ignore_index`` inside ``torch.bincount``), a prediction without
``scores`` (a ``KeyError``), ``cat_ids`` that are no whole numbers (``1.5`` was cut to 1), and
detections given as a file name (read as a string's letters) or ``None``; thresholds that are
no number (numpy's ufunc error, or "'<=' not supported") and a ``max_dets`` that is one number
("'int' object is not iterable")."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from detseg.evaluation import (
    ConfusionMatrix,
    coco_evaluate,
    detection_confusion_matrix,
    predictions_to_coco_results,
    segmentation_metrics,
    voc_evaluate,
)

PREDICTION = {
    "boxes": torch.tensor([[0.0, 0.0, 5.0, 5.0]]),
    "scores": torch.tensor([0.5]),
    "labels": torch.tensor([1]),
}
GT = {
    "images": [{"id": 1, "width": 10, "height": 10, "file_name": "a.png"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "area": 25, "iscrowd": 0}
    ],
    "categories": [{"id": 1, "name": "a"}],
}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"num_classes": 1.5}, r"num_classes must be an integer, got 1.5 \(float\)"),
        ({"num_classes": "3"}, r"num_classes must be an integer, got '3' \(str\)"),
        ({"num_classes": None}, r"num_classes must be an integer, got None"),
        ({"num_classes": 3, "ignore_index": "255"}, r"ignore_index must be an integer"),
    ],
)
def test_a_confusion_matrix_refuses_counts_that_are_no_integers(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ConfusionMatrix(**kwargs)
    pred = torch.zeros(4, 4, dtype=torch.int64)
    with pytest.raises(ValueError, match=message):
        segmentation_metrics([pred], [pred], **kwargs)


def test_numpy_integers_are_counts():
    matrix = ConfusionMatrix(np.int64(3), ignore_index=np.int64(255))
    matrix.update(torch.zeros(2, 2, dtype=torch.int64), torch.zeros(2, 2, dtype=torch.int64))
    assert int(matrix.matrix[0, 0]) == 4


@pytest.mark.parametrize("missing", ["boxes", "scores", "labels"])
def test_a_prediction_without_a_field_is_refused_by_name(missing):
    prediction = {k: v for k, v in PREDICTION.items() if k != missing}
    with pytest.raises(ValueError, match=rf"the prediction of image 7 has no '{missing}'"):
        predictions_to_coco_results([7], [prediction])


@pytest.mark.parametrize(
    ("cat_ids", "message"),
    [([1.5], r"cat_ids\[0\] is 1.5"), ("a", r"cat_ids must be a list of whole numbers")],
)
def test_cat_ids_that_are_no_whole_numbers_are_refused(cat_ids, message):
    with pytest.raises(ValueError, match=message):
        predictions_to_coco_results([7], [PREDICTION], cat_ids)


def test_cat_ids_may_be_an_array():
    [record] = predictions_to_coco_results([7], [PREDICTION], np.array([42]))
    assert record["category_id"] == 42


def test_detections_given_as_a_file_name_say_to_read_it(tmp_path):
    with pytest.raises(ValueError, match=r"got the file name '.*dets.json'; read the file first"):
        coco_evaluate(GT, str(tmp_path / "dets.json"))
    with pytest.raises(ValueError, match=r"got the file name"):
        coco_evaluate(GT, tmp_path / "dets.json")


def test_detections_none_is_refused_with_what_to_give():
    with pytest.raises(ValueError, match=r"got NoneType; give \[\] for no detection"):
        coco_evaluate(GT, None)


DETECTIONS = [{"image_id": 1, "category_id": 1, "bbox": [0, 0, 5, 5], "score": 0.9}]


@pytest.mark.parametrize("name", ["iou_threshold", "score_threshold"])
@pytest.mark.parametrize("value", ["0.5", None])
def test_confusion_thresholds_that_are_no_number_are_refused(name, value):
    with pytest.raises(ValueError, match=rf"{name} must be a number in \[0, 1\], got"):
        detection_confusion_matrix(GT, DETECTIONS, **{name: value})


@pytest.mark.parametrize("value", ["0.5", None, 2.0])
def test_voc_iou_threshold_that_is_no_number_in_0_1_is_refused(value):
    truth = [{"boxes": np.array([[0.0, 0.0, 5.0, 5.0]]), "labels": np.array([1])}]
    found = [{**truth[0], "scores": np.array([0.9])}]
    with pytest.raises(ValueError, match=r"iou_threshold must "):
        voc_evaluate(truth, found, iou_threshold=value)
    assert voc_evaluate(truth, found, iou_threshold=0.5)["mAP"] == 1.0


@pytest.mark.parametrize("max_dets", [100, None, "1,10,100"])
def test_a_max_dets_that_is_not_three_counts_is_refused(max_dets):
    with pytest.raises(ValueError, match=r"max_dets must be three strictly increasing"):
        coco_evaluate(GT, DETECTIONS, max_dets=max_dets)


@pytest.mark.parametrize("value", ["0.5", None, 1.5])
def test_a_mask_threshold_that_is_no_number_in_0_1_is_refused(value):
    prediction = {**PREDICTION, "masks": torch.rand(1, 1, 5, 5)}
    with pytest.raises(ValueError, match=r"mask_threshold must "):
        predictions_to_coco_results([7], [prediction], mask_threshold=value)
