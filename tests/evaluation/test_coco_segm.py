"""Mask AP (``iou_type="segm"``): a hand-computed case checked against pycocotools run directly,
both backends equal on masks, masks in the COCO results (thresholds, RLEs), the ground-truth
checks, and the report with masks (metrics.json, tables, gallery overlays)."""

from __future__ import annotations

import base64
import copy
import html
import json
import re

import cv2
import numpy as np
import pytest
import torch
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval

from detseg.engine.validation import COCO_KEYS, SEGM_KEYS
from detseg.evaluation import coco_evaluate, predictions_to_coco_results, write_detection_report
from detseg.evaluation.coco import segm_metrics
from detseg.evaluation.coco_checks import check_segm_ground_truth
from detseg.evaluation.coco_format import masks_to_rles, segmentation_mask
from detseg.evaluation.prediction_files_eval import evaluate_prediction_files

SIZE = 100


def _rect(y1: int, y2: int, x1: int, x2: int) -> np.ndarray:
    mask = np.zeros((SIZE, SIZE), dtype=np.uint8)
    mask[y1:y2, x1:x2] = 1
    return mask


def _rle(mask: np.ndarray) -> dict:
    (rle,) = masks_to_rles(mask[None], 1)
    return rle


def _gt_ann(ann_id: int, image_id: int, cat: int, mask: np.ndarray, **extra) -> dict:
    ys, xs = np.nonzero(mask)
    bbox = [int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1]
    ann = {"id": ann_id, "image_id": image_id, "category_id": cat, "bbox": bbox}
    return {**ann, "area": int(mask.sum()), "iscrowd": 0, "segmentation": _rle(mask), **extra}


def _det(image_id: int, cat: int, mask: np.ndarray, score: float, bbox=None) -> dict:
    ys, xs = np.nonzero(mask)
    box = bbox or [float(xs.min()), float(ys.min()), float(np.ptp(xs) + 1), float(np.ptp(ys) + 1)]
    return {
        "image_id": image_id,
        "category_id": cat,
        "score": score,
        "bbox": box,
        "segmentation": _rle(mask),
    }


# Two images. Class 1: A and B, 20x20 (small) on image 1; class 2: C, 40x40 (medium) on
# image 2. Mask IoUs, chosen between COCO's thresholds 0.50:0.05:0.95:
#   a on A: 1.0;  b on B: 16x16 inside 20x20 = 0.64;  c on C: 40x37 inside 40x40 = 0.925;
#   d: class 2, scored highest, on nothing (IoU 0).
A, B, C = _rect(10, 30, 10, 30), _rect(50, 70, 50, 70), _rect(10, 50, 10, 50)
GT = {
    "images": [
        {"id": 1, "file_name": "1.png", "height": SIZE, "width": SIZE},
        {"id": 2, "file_name": "2.png", "height": SIZE, "width": SIZE},
    ],
    "annotations": [_gt_ann(1, 1, 1, A), _gt_ann(2, 1, 1, B), _gt_ann(3, 2, 2, C)],
    "categories": [{"id": 1, "name": "square"}, {"id": 2, "name": "big"}],
}
# Every detection's bbox is its gt's box, so box AP is 1.0 for class 1 and the masks alone set
# the segm numbers.
DETS = [
    _det(1, 1, A, 0.9, bbox=[10.0, 10.0, 20.0, 20.0]),
    _det(1, 1, _rect(52, 68, 52, 68), 0.8, bbox=[50.0, 50.0, 20.0, 20.0]),
    _det(2, 2, _rect(10, 47, 10, 50), 0.7, bbox=[10.0, 10.0, 40.0, 40.0]),
    _det(2, 2, _rect(80, 95, 80, 95), 0.95),
]

# Class 1, per threshold: a TP; b TP at 0.50, 0.55, 0.60 (AP 1), else FP (AP: precision 1 up
#   to recall 0.5, i.e. 51 of the 101 recall points) -> (3 + 7 * 51/101) / 10.
# Class 2: d FP then c TP at 0.50..0.90 (precision 1/2 at recall 1: AP 0.5), at 0.95 no TP.
CLASS1 = (3 + 7 * 51 / 101) / 10
CLASS2 = 9 * 0.5 / 10
EXPECTED = {
    "AP": (CLASS1 + CLASS2) / 2,
    "AP50": (1.0 + 0.5) / 2,
    "AP75": (51 / 101 + 0.5) / 2,
    # A and B are small (400 px), C medium (1600 px); d (15x15 px) is small, so it is no false
    # positive of the medium range: class 2 there has c alone, TP at 9 of 10 thresholds
    "APs": CLASS1,
    "APm": 0.9,
    "APl": -1.0,
}


def test_mask_ious_of_the_hand_case():
    def iou(det: int, gt: int) -> float:
        pair = [DETS[det]["segmentation"]], [GT["annotations"][gt]["segmentation"]]
        return float(mask_utils.iou(*pair, [0])[0, 0])

    assert (iou(0, 0), iou(1, 1), iou(2, 2), iou(3, 2)) == (1.0, 0.64, 0.925, 0.0)


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_hand_computed_mask_ap_equals_pycocotools(backend):
    metrics = coco_evaluate(GT, DETS, iou_type="segm", backend=backend)
    stats = pycocotools_eval(GT, DETS, "segm").stats
    for key, expected in EXPECTED.items():
        assert metrics[key] == pytest.approx(expected, abs=1e-12), key
    for key, value in zip(COCO_KEYS, stats, strict=True):
        assert metrics[key] == pytest.approx(float(value), abs=1e-12), key
    assert metrics["per_class"]["square"]["AP"] == pytest.approx(CLASS1, abs=1e-12)
    assert metrics["per_class"]["big"]["AP"] == pytest.approx(CLASS2, abs=1e-12)
    boxes = coco_evaluate(GT, DETS, iou_type="bbox", backend=backend)
    assert boxes["per_class"]["square"]["AP"] == pytest.approx(1.0)  # the boxes are exact


def test_both_backends_give_the_same_mask_numbers_with_crowds_and_an_empty_image():
    rng = np.random.default_rng(0)
    gt = copy.deepcopy(GT)
    gt["images"].append({"id": 3, "height": SIZE, "width": SIZE})  # no objects
    crowd = _rect(60, 90, 5, 45)
    counts = {"size": [SIZE, SIZE], "counts": _uncompressed(crowd)}  # crowds: list counts
    gt["annotations"].append(_gt_ann(4, 2, 1, crowd, iscrowd=1, segmentation=counts))
    gt["annotations"].append(_gt_ann(5, 1, 2, _rect(2, 100, 2, 100)))  # large: 98 x 98 px
    dets = list(DETS)
    for _ in range(40):  # jittered boxes around the gt and noise on every image
        y, x = (int(v) for v in rng.integers(0, 70, 2))
        h, w = (int(v) for v in rng.integers(5, 30, 2))
        image_id, cat = int(rng.integers(1, 4)), int(rng.integers(1, 3))
        dets.append(_det(image_id, cat, _rect(y, y + h, x, x + w), float(rng.random())))
    faster = coco_evaluate(gt, dets, iou_type="segm", backend="faster")
    reference = coco_evaluate(gt, dets, iou_type="segm", backend="pycocotools")
    stats = pycocotools_eval(gt, dets, "segm").stats
    for key, value in zip(COCO_KEYS, stats, strict=True):
        assert reference[key] == float(value), key
        assert faster[key] == pytest.approx(float(value), abs=1e-12), key
    assert 0.0 < faster["AP"] < 1.0 and faster["APl"] > -1.0
    for name, values in reference["per_class"].items():
        for key, value in values.items():
            assert faster["per_class"][name][key] == pytest.approx(value, abs=1e-12)


def _uncompressed(mask: np.ndarray) -> list[int]:
    flat = mask.flatten(order="F")
    bounds = np.concatenate([[0], np.flatnonzero(np.diff(flat)) + 1, [flat.size]])
    counts = np.diff(bounds).tolist()
    return [0, *counts] if flat[0] else counts


def test_segm_metrics_prefix_every_key():
    metrics = segm_metrics(coco_evaluate(GT, DETS, iou_type="segm"))
    assert list(metrics) == [*SEGM_KEYS, "segm_per_class"]
    assert metrics["segm_AP"] == pytest.approx(EXPECTED["AP"], abs=1e-12)


def test_mask_threshold_and_ready_rles_in_coco_results():
    probabilities = torch.zeros(1, 1, 8, 8)
    probabilities[0, 0, 2:4, 2:6] = 0.4  # foreground at threshold 0.3, not at 0.5
    probabilities[0, 0, 4:6, 2:6] = 0.9
    pred = {
        "boxes": torch.tensor([[2.0, 2.0, 6.0, 6.0]]),
        "scores": torch.tensor([0.8]),
        "labels": torch.tensor([1]),
        "masks": probabilities,
    }
    (default,) = predictions_to_coco_results([5], [pred])
    (low,) = predictions_to_coco_results([5], [pred], mask_threshold=0.3)
    assert mask_utils.area(default["segmentation"]) == 8
    assert mask_utils.area(low["segmentation"]) == 16
    assert isinstance(default["segmentation"]["counts"], str)
    json.dumps([default, low])  # json-ready
    ready = {k: v for k, v in pred.items() if k != "masks"}
    ready["segmentation"] = [low["segmentation"]]
    assert predictions_to_coco_results([5], [ready]) == [low]
    with pytest.raises(ValueError, match="2 segmentations for 1 detections"):
        predictions_to_coco_results([5], [{**ready, "segmentation": [low["segmentation"]] * 2}])


def test_segmentation_mask_decodes_polygons_and_both_rles():
    polygon = [[10, 10, 30, 10, 30, 30, 10, 30]]
    expected = mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(polygon, SIZE, SIZE)))
    assert np.array_equal(segmentation_mask(polygon, SIZE, SIZE), expected)
    assert np.array_equal(segmentation_mask(_rle(A), SIZE, SIZE), A)
    uncompressed = {"size": [SIZE, SIZE], "counts": _uncompressed(A)}
    assert np.array_equal(segmentation_mask(uncompressed, SIZE, SIZE), A)


def test_segm_needs_segmentations_and_image_sizes():
    no_segm = copy.deepcopy(GT)
    del no_segm["annotations"][1]["segmentation"]
    with pytest.raises(
        ValueError, match="annotation 2 \\(image 1\\) has no 'segmentation'"
    ) as info:
        coco_evaluate(no_segm, DETS, iou_type="segm")
    assert str(info.value).endswith(
        "for a predictions file --iou-type bbox, in Python iou_type='bbox')"
    )
    coco_evaluate(no_segm, DETS, iou_type="bbox")  # boxes do not need it
    no_size = copy.deepcopy(GT)
    del no_size["images"][0]["height"]
    with pytest.raises(ValueError, match="my val: image 1 has no 'height' and 'width'"):
        check_segm_ground_truth(no_size, "my val")
    needed = "'image_id', 'category_id', 'score' and 'segmentation'"
    with pytest.raises(
        ValueError, match=f"detection 0 lacks 'segmentation'; every record needs {needed}"
    ):
        coco_evaluate(GT, [{k: v for k, v in DETS[0].items() if k != "segmentation"}], "segm")


def _images(folder):
    folder.mkdir()
    for image in GT["images"]:
        canvas = np.full((SIZE, SIZE, 3), 90, dtype=np.uint8)
        assert cv2.imwrite(str(folder / image["file_name"]), canvas)
    return folder


def _gallery_pictures(page: str) -> list[np.ndarray]:
    gallery = page[page.index('<div class="gallery">') :]
    sources = re.findall(r'<img src="data:image/jpeg;base64,([^"]*)"', gallery)
    pictures = [np.frombuffer(base64.b64decode(html.unescape(s)), np.uint8) for s in sources]
    return [cv2.imdecode(p, cv2.IMREAD_COLOR)[:, :, ::-1] for p in pictures]


def test_report_with_masks_scores_and_draws_them(tmp_path, check_report):
    images = _images(tmp_path / "images")
    boxes_only = [{k: v for k, v in d.items() if k != "segmentation"} for d in DETS]
    write_detection_report(tmp_path / "boxes", GT, boxes_only, images, score_threshold=0.5)
    write_detection_report(tmp_path / "masks", GT, DETS, images, score_threshold=0.5, segm=True)
    metrics, page = check_report(tmp_path / "masks", ["square", "big"])
    expected = segm_metrics(coco_evaluate(GT, DETS, iou_type="segm"))
    assert {k: metrics[k] for k in expected} == expected
    boxes = coco_evaluate(GT, DETS)
    assert {k: metrics[k] for k in COCO_KEYS} == {k: boxes[k] for k in COCO_KEYS}
    assert '<table id="summary-segm">' in page and '<table id="per-class-segm">' in page
    assert "Summary (COCO segm: masks)" in page and "ground-truth masks outlined" in page
    plain_metrics, plain_page = check_report(tmp_path / "boxes", ["square", "big"])
    assert "segm_AP" not in plain_metrics and "summary-segm" not in plain_page
    # image 2 is the imperfect one (d is a false positive): its drawing differs inside the
    # predicted masks, which are filled with their class colour (the image is flat grey)
    (with_masks,) = _gallery_pictures(page)
    (without,) = _gallery_pictures(plain_page)
    scale = with_masks.shape[0] / SIZE
    size = with_masks.shape[1::-1]
    inside = cv2.resize(_rect(15, 45, 15, 45), size, interpolation=cv2.INTER_NEAREST) > 0
    assert scale > 1 and with_masks.shape == without.shape
    difference = np.abs(with_masks.astype(int) - without.astype(int)).sum(axis=2)
    assert np.median(difference[inside]) > 40  # c's mask, tinted
    assert np.median(np.abs(without[inside].astype(int) - 90)) < 10  # grey without masks


def test_prediction_files_with_iou_type_segm(tmp_path):
    images = _images(tmp_path / "images")
    gt, pred = tmp_path / "gt.json", tmp_path / "pred.json"
    gt.write_text(json.dumps(GT))
    no_boxes = [{k: v for k, v in d.items() if k != "bbox"} for d in DETS]  # boxes from masks
    pred.write_text(json.dumps(no_boxes))
    summary = evaluate_prediction_files(gt, pred, tmp_path / "out", images, iou_type="segm")
    assert summary.heading == f"COCO bbox and segm evaluation of {pred} against {gt}"
    assert "COCO segm (masks):" in summary.table and summary.table.startswith("COCO bbox:")
    for key, expected in EXPECTED.items():
        assert summary.metrics["segm_" + key] == pytest.approx(expected, abs=1e-12), key
    boxes = coco_evaluate(GT, [{**d, "bbox": _mask_box(d)} for d in no_boxes])
    assert {k: summary.metrics[k] for k in COCO_KEYS} == {k: boxes[k] for k in COCO_KEYS}
    pred.write_text(json.dumps(DETS))  # boxes and masks, boxes scored only
    boxes_only = evaluate_prediction_files(gt, pred, tmp_path / "boxes", iou_type="bbox")
    assert "segm_AP" not in boxes_only.metrics and "segm" not in boxes_only.table
    pred.write_text(json.dumps([{k: v for k, v in d.items() if k != "segmentation"} for d in DETS]))
    with pytest.raises(ValueError, match="detection 0 has no 'segmentation'"):
        evaluate_prediction_files(gt, pred, tmp_path / "out", iou_type="segm")
    with pytest.raises(ValueError, match="iou_type must be one of"):
        evaluate_prediction_files(gt, pred, tmp_path / "out", iou_type="keypoints")


def _mask_box(det: dict) -> list[float]:
    return [float(v) for v in mask_utils.toBbox(det["segmentation"])]
