"""Mask AP of a COCO dataset whose annotations lack a segmentation: the reader trains on the
box-filled mask of such an annotation, and its ground truth for the evaluation holds the same
mask (the box as a polygon), so a Mask R-CNN trained on it is scored instead of the validation
failing for want of a segmentation."""

from __future__ import annotations

import copy
import json

import cv2
import numpy as np

from detseg.data import CocoDetection
from detseg.evaluation.coco import coco_evaluate
from detseg.evaluation.coco_format import masks_to_rles, segmentation_mask

H, W = 40, 50
GT = {
    "images": [{"id": 1, "file_name": "a.png", "height": H, "width": W}],
    "categories": [{"id": 1, "name": "thing"}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [5, 5, 20, 10], "iscrowd": 0},
        {
            "id": 2,
            "image_id": 1,
            "category_id": 1,
            "bbox": [2, 24, 12, 14],
            "area": 168,
            "iscrowd": 0,
            "segmentation": [],
        },
        {
            "id": 3,
            "image_id": 1,
            "category_id": 1,
            "bbox": [30, 20, 10, 15],
            "area": 150,
            "iscrowd": 0,
            "segmentation": [[30, 20, 40, 20, 40, 35, 30, 35]],
        },
    ],
}


def _dataset(tmp_path) -> CocoDetection:
    (tmp_path / "images").mkdir()
    assert cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((H, W, 3), np.uint8))
    (tmp_path / "gt.json").write_text(json.dumps(GT))
    return CocoDetection(tmp_path / "images", tmp_path / "gt.json", load_masks=True)


def test_ground_truth_holds_the_masks_training_reads(tmp_path):
    dataset = _dataset(tmp_path)
    _, target = dataset[0]
    gt = dataset.coco_gt()
    assert [len(a["segmentation"]) for a in gt["annotations"]] == [1, 1, 1]
    for ann, mask in zip(gt["annotations"], target["masks"], strict=True):
        np.testing.assert_array_equal(segmentation_mask(ann["segmentation"], H, W), mask.numpy())
    assert gt["annotations"][2] is dataset._gt["annotations"][2]  # complete ones are not copied
    assert "segmentation" not in dataset._gt["annotations"][0]  # the json is not changed


def test_mask_ap_of_such_a_dataset(tmp_path):
    dataset = _dataset(tmp_path)
    _, target = dataset[0]
    gt = copy.deepcopy(dataset.coco_gt())
    rles = masks_to_rles(target["masks"], 3)
    dets = [{"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": rle} for rle in rles]
    assert coco_evaluate(gt, dets, iou_type="segm")["AP"] == 1.0
