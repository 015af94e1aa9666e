"""VOC AP of COCO-format inputs; difficult objects ignored by the VOC and the COCO numbers."""

from __future__ import annotations

import copy
import json
import re

import pytest
import torch

from detseg.data.voc import VOCDetection
from detseg.engine.validation import COCO_KEYS, coco_ground_truth
from detseg.evaluation import coco_evaluate, voc_evaluate, voc_table
from detseg.evaluation.coco_format import predictions_to_coco_results
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files
from detseg.evaluation.report import write_detection_report
from detseg.evaluation.voc_coco import resolve_metric, voc_evaluate_coco

BACKENDS = ("faster", "pycocotools")

# Three images; "dog" in 000001 and "cat" in 000002 are difficult.
IMAGES = {
    "000001": [("cat", [5, 5, 30, 30], 0), ("dog", [36, 10, 60, 40], 1)],
    "000002": [("dog", [10, 10, 40, 40], 0), ("cat", [44, 6, 60, 22], 1)],
    "000003": [("cat", [20, 20, 50, 45], 0), ("dog", [2, 45, 20, 62], 0)],
}


def _difficult_case(root, write_voc):
    """The val split's COCO gt, and detections: every non-difficult box (score 0.9) plus one
    on the difficult dog of 000001, scored higher (0.95) than everything else."""
    dataset = VOCDetection(write_voc(root, IMAGES), "val", classes=["cat", "dog"])
    targets = [dataset[i][1] for i in range(len(dataset))]
    predictions = []
    for target in targets:
        keep = target["difficult"] == 0
        boxes, labels = target["boxes"][keep], target["labels"][keep]
        scores = torch.full((len(boxes),), 0.9)
        predictions.append({"boxes": boxes, "labels": labels, "scores": scores})
    difficult_dog = targets[0]["boxes"][targets[0]["difficult"] == 1]
    predictions[0] = {
        "boxes": torch.cat([predictions[0]["boxes"], difficult_dog]),
        "labels": torch.tensor([1, 2]),
        "scores": torch.tensor([0.9, 0.95]),
    }
    gt = coco_ground_truth(dataset)
    detections = predictions_to_coco_results(dataset.image_ids, predictions, gt.cat_ids)
    return gt.gt, detections, targets, predictions


def test_difficult_objects_are_ignored_by_voc_and_coco(tmp_path, write_voc):
    gt, detections, targets, predictions = _difficult_case(tmp_path, write_voc)
    flagged = [a for a in gt["annotations"] if a.get("difficult")]
    assert len(flagged) == 2 and all(a["iscrowd"] == 1 and a["difficult"] == 1 for a in flagged)
    assert all(a["iscrowd"] == 0 for a in gt["annotations"] if not a.get("difficult"))

    for metric in ("voc07", "voc12"):
        voc = voc_evaluate_coco(gt, detections, metric)
        assert voc["mAP"] == 1.0 and voc["per_class"] == {"cat": 1.0, "dog": 1.0}
        assert voc["metric"] == metric and voc["iou_threshold"] == 0.5
    assert voc_evaluate(targets, predictions, use_07_metric=True)["mAP"] == 1.0

    coco = {b: coco_evaluate(gt, detections, backend=b) for b in BACKENDS}
    for backend in BACKENDS:
        assert coco[backend]["AP"] == pytest.approx(1.0, abs=1e-12)
        assert coco[backend]["AP50"] == pytest.approx(1.0, abs=1e-12)
    for key in COCO_KEYS:
        assert coco["faster"][key] == pytest.approx(coco["pycocotools"][key], abs=1e-12), key

    # The same gt without the flag (difficult objects as ordinary ones): both fall below 1.
    # "dog": 3 objects, 3 exact detections (AP 1); "cat": 3 objects, 2 exact detections
    # (the cat of 000002 is missed): precision 1 up to recall 2/3, then nothing. VOC07 reads
    # the 7 recall points 0, 0.1, ..., 0.6 of its 11; COCO the 67 points 0, 0.01, ..., 0.66
    # of its 101.
    plain = copy.deepcopy(gt)
    for ann in plain["annotations"]:
        ann.pop("difficult", None)
        ann["iscrowd"] = 0
    voc = voc_evaluate_coco(plain, detections, "voc07")
    assert voc["per_class"] == pytest.approx({"cat": 7 / 11, "dog": 1.0}, abs=1e-12)
    assert voc["mAP"] == pytest.approx((7 / 11 + 1) / 2, abs=1e-12)
    for backend in BACKENDS:
        ap50 = coco_evaluate(plain, detections, backend=backend)["AP50"]
        assert ap50 == pytest.approx((67 / 101 + 1) / 2, abs=1e-12), backend


def _hand_case() -> tuple[dict, list[dict]]:
    """One 100x100 image. Category "a": G1, G2, G3 and two difficult objects (one flagged
    ``difficult``, one ``iscrowd``); "b": one object; "c": none.

    det  score  box           outcome             TP/FP  recall  precision
    dd   0.95   on D1         difficult: ignored  -      -       -
    d1   0.90   on G1         TP                  1/0    1/3     1
    d2   0.80   nothing       FP                  1/1    1/3     1/2
    d3   0.70   on G2         TP                  2/1    2/3     2/3
    (G3 is missed; D2 neither found nor counted.)

    voc12 (all-point): 1/3 * 1 + 1/3 * 2/3 = 5/9.
    voc07 (11-point): t = 0..0.3 -> 1 (4 points), t = 0.4..0.6 -> 2/3 (3 points), t >= 0.7 ->
    0 (4 points): (4 + 2) / 11 = 6/11.
    "b" is found exactly (AP 1); "c" has only a false positive and no object (-1, left out).
    """

    def ann(ann_id, cat, box, **flags):
        return {"id": ann_id, "image_id": 1, "category_id": cat, "bbox": box,
                "area": box[2] * box[3], "iscrowd": 0, **flags}  # fmt: skip

    gt = {
        "images": [{"id": 1, "width": 100, "height": 100}],
        "annotations": [
            ann(1, 1, [0, 0, 10, 10]),
            ann(2, 1, [20, 0, 10, 10]),
            ann(3, 1, [40, 0, 10, 10]),
            ann(4, 1, [60, 0, 10, 10], difficult=1),
            ann(5, 1, [80, 0, 10, 10], iscrowd=1),
            ann(6, 2, [0, 50, 20, 20]),
        ],
        "categories": [{"id": 1, "name": "a"}, {"id": 2, "name": "b"}, {"id": 3, "name": "c"}],
    }
    dets = [
        {"image_id": 1, "category_id": 1, "bbox": [60, 0, 10, 10], "score": 0.95},
        {"image_id": 1, "category_id": 1, "bbox": [0, 0, 10, 10], "score": 0.9},
        {"image_id": 1, "category_id": 1, "bbox": [0, 80, 10, 10], "score": 0.8},
        {"image_id": 1, "category_id": 1, "bbox": [20, 0, 10, 10], "score": 0.7},
        {"image_id": 1, "category_id": 2, "bbox": [0, 50, 20, 20], "score": 0.6},
        {"image_id": 1, "category_id": 3, "bbox": [50, 50, 10, 10], "score": 0.5},
        {"image_id": 1, "category_id": 99, "bbox": [0, 0, 10, 10], "score": 0.99},  # ignored
    ]
    return gt, dets


def test_voc12_and_voc07_differ_as_worked_out_by_hand():
    gt, dets = _hand_case()
    before = copy.deepcopy((gt, dets))
    voc12 = voc_evaluate_coco(gt, dets, "voc12")
    voc07 = voc_evaluate_coco(gt, dets, "voc07")
    assert voc12["per_class"] == pytest.approx({"a": 5 / 9, "b": 1.0, "c": -1.0})
    assert voc07["per_class"] == pytest.approx({"a": 6 / 11, "b": 1.0, "c": -1.0})
    assert voc12["mAP"] == pytest.approx((5 / 9 + 1) / 2)
    assert voc07["mAP"] == pytest.approx((6 / 11 + 1) / 2)
    assert (gt, dets) == before  # inputs not modified
    no_positives = {**gt, "annotations": [a for a in gt["annotations"] if a["id"] in (4, 5)]}
    assert voc_evaluate_coco(no_positives, dets, "voc12")["mAP"] == -1.0


def test_voc_table_and_bad_inputs():
    gt, dets = _hand_case()
    text = voc_table(voc_evaluate_coco(gt, dets, "voc07"))
    lines = text.splitlines()
    assert lines[0].split() == ["VOC07", "mAP", "IoU"]
    assert lines[2].split() == [f"{(6 / 11 + 1) / 2:.3f}", "0.500"]
    assert lines[-1].split() == ["c", "n/a"] and lines[-3].split() == ["a", f"{6 / 11:.3f}"]
    with pytest.raises(ValueError, match="metric must be one of"):
        voc_evaluate_coco(gt, dets, "coco")
    with pytest.raises(ValueError, match="image_id 7"):
        voc_evaluate_coco(gt, [{**dets[0], "image_id": 7}], "voc07")
    no_score = {k: v for k, v in dets[0].items() if k != "score"}
    with pytest.raises(ValueError, match="detection 1 lacks 'score'; every record needs"):
        voc_evaluate_coco(gt, [dets[0], no_score], "voc07")


def test_resolve_metric():
    assert resolve_metric("auto", "voc") == "voc07"
    assert resolve_metric("auto", "coco") == resolve_metric("auto", "yolo") == "coco"
    assert resolve_metric("auto") == "coco"
    assert resolve_metric("voc12", "coco") == "voc12" and resolve_metric("coco", "voc") == "coco"
    with pytest.raises(ValueError, match="'voc10'"):
        resolve_metric("voc10", "voc")


def test_report_with_a_voc_metric(tmp_path, check_report):
    gt, dets = _hand_case()
    page_path = write_detection_report(tmp_path, gt, dets, metric="voc12", worst_k=0)
    metrics, page = check_report(tmp_path, ["a", "b", "c"])
    assert metrics["voc"] == voc_evaluate_coco(gt, dets, "voc12")
    assert '<table id="voc">' in page and "VOC12, all-point" in page
    assert f'<td id="voc-map">{(5 / 9 + 1) / 2:.3f}</td>' in page
    assert page_path == tmp_path / "report.html"
    write_detection_report(tmp_path, gt, dets, worst_k=0)  # coco: no VOC entry
    assert "voc" not in json.loads((tmp_path / "metrics.json").read_text())
    assert '<table id="voc">' not in (tmp_path / "report.html").read_text()


def test_objects_of_an_unlisted_category_are_left_out_as_coco_does():
    """An annotation whose category is not in ``categories`` is ignored (COCOeval ignores it
    too): it adds no class of AP 0 to the mean."""
    gt, dets = _hand_case()
    clean = voc_evaluate_coco(gt, dets, "voc07")
    stray = {"id": 99, "image_id": 1, "category_id": 7, "bbox": [60, 60, 10, 10], "area": 100,
             "iscrowd": 0}  # fmt: skip
    with_stray = voc_evaluate_coco({**gt, "annotations": [*gt["annotations"], stray]}, dets)
    assert with_stray["mAP"] == clean["mAP"] and with_stray["per_class"] == clean["per_class"]


@pytest.mark.parametrize("flag", ["0", "1", 2, [1]])
def test_a_difficult_flag_other_than_0_or_1_is_refused(flag, tmp_path):
    # a string "0" read as set would make every object of the file difficult: VOC mAP n/a
    gt, dets = _hand_case()
    gt["annotations"][0]["difficult"] = flag
    with pytest.raises(ValueError, match=re.escape("annotations[0] (id 1) has difficult")):
        voc_evaluate_coco(gt, dets, "voc07")
    gt_path, pred_path = tmp_path / "gt.json", tmp_path / "pred.json"
    gt_path.write_text(json.dumps(gt))
    pred_path.write_text(json.dumps(dets[:-1]))
    named = re.escape(f"{gt_path}: annotations[0] (id 1) has difficult")
    with pytest.raises(ValueError, match=f"^{named}"):
        evaluate_prediction_files(gt_path, pred_path, tmp_path / "out", metric="voc12")
    assert not (tmp_path / "out" / "metrics.json").exists()
    evaluate_prediction_files(gt_path, pred_path, tmp_path / "out", metric="coco")  # not read


def test_difficult_flags_of_0_1_false_true_and_null_are_read():
    gt, dets = _hand_case()
    expected = voc_evaluate_coco(gt, dets, "voc07")
    for plain, other in ((0, False), (0, None), (0, 0.0), (1, True), (1, 1.0)):
        changed = copy.deepcopy(gt)
        for ann in changed["annotations"]:
            if ann.get("difficult", 0) == plain and ann["id"] != 5:  # 5: the iscrowd one
                ann["difficult"] = other
        assert voc_evaluate_coco(changed, dets, "voc07") == expected, other
