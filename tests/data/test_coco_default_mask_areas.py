"""Ground truth without an ``area``: a segmentation's area is its mask's pixel count (COCO's
convention, pycocotools' ``maskUtils.area``), a box-only annotation's is the box's ``w * h``;
both in :meth:`CocoDetection.coco_gt` and in the prediction-file evaluation's defaults."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from pycocotools import mask as mask_utils

from detseg.data import CocoDetection
from detseg.data.coco_eval_defaults import ground_truth_with_eval_defaults, with_eval_defaults

TRIANGLE = [[2.0, 2.0, 28.0, 2.0, 2.0, 18.0]]  # box 26 x 16 = 416, mask about half of it
RLE = mask_utils.encode(np.asfortranarray(np.pad(np.ones((3, 5), np.uint8), ((1, 16), (2, 23)))))
RLE = {"size": RLE["size"], "counts": RLE["counts"].decode()}


def _polygon_area(height=20, width=30) -> float:
    return float(mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(TRIANGLE, height, width))))


def test_polygon_gt_without_area_gets_the_mask_area():
    ann = {
        "id": 1,
        "image_id": 1,
        "category_id": 1,
        "bbox": [2, 2, 26, 16],
        "segmentation": TRIANGLE,
    }
    filled = with_eval_defaults(ann, (20, 30))
    assert filled["area"] == _polygon_area() and filled["area"] < 416 * 0.6
    assert filled["iscrowd"] == 0 and "area" not in ann


@pytest.mark.parametrize("counts", ["compressed", "uncompressed"])
def test_rle_gt_without_area_gets_its_area(counts):
    segm = RLE
    if counts == "uncompressed":
        mask = mask_utils.decode(RLE)
        flat = mask.flatten(order="F")
        changes = np.flatnonzero(np.diff(np.r_[0, flat, 1 - flat[-1]])).tolist()
        runs = np.diff([0, *changes]).tolist()
        segm = {"size": [20, 30], "counts": runs}
        assert sum(runs) == 600
    ann = {"id": 1, "bbox": [2, 1, 6, 4], "iscrowd": 1, "segmentation": segm}  # box: 24
    assert with_eval_defaults(ann)["area"] == float(mask_utils.area(RLE)) == 15.0


def test_box_gt_without_area_keeps_the_box_area():
    ann = {"id": 1, "bbox": [2, 2, 26, 16]}
    assert with_eval_defaults(ann)["area"] == 416.0
    assert with_eval_defaults({**ann, "segmentation": []})["area"] == 416.0


def test_coco_gt_and_training_targets_use_the_mask_area(tmp_path):
    (tmp_path / "img").mkdir()
    cv2.imwrite(str(tmp_path / "img" / "a.png"), np.zeros((20, 30, 3), np.uint8))
    anns = [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [2, 2, 26, 16],
            "segmentation": TRIANGLE,
        },
        {"id": 2, "image_id": 1, "category_id": 1, "bbox": [0, 0, 4, 5]},
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": 20, "width": 30}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    dataset = CocoDetection(tmp_path / "img", tmp_path / "ann.json")
    areas = [a["area"] for a in dataset.coco_gt()["annotations"]]
    assert areas == [_polygon_area(), 20.0]
    _, target = dataset[0]
    assert target["area"].tolist() == pytest.approx([_polygon_area(), 20.0])


def test_prediction_file_evaluation_rasterises_at_the_image_size():
    """A polygon running past its 20 x 30 image counts the pixels inside it, as COCOeval's
    ``annToRLE`` rasterises it."""
    wide = [[2.0, 2.0, 60.0, 2.0, 2.0, 18.0]]
    gt = {
        "images": [{"id": 7, "height": 20.0, "width": 30.0}],
        "annotations": [{"id": 1, "image_id": 7, "bbox": [2, 2, 58, 16], "segmentation": wide}],
    }
    (filled,) = ground_truth_with_eval_defaults(gt)["annotations"]
    clipped = mask_utils.area(mask_utils.merge(mask_utils.frPyObjects(wide, 20, 30)))
    assert filled["area"] == float(clipped)


def test_an_entry_of_unknown_size_zero_still_counts_the_polygon():
    ann = {"id": 1, "bbox": [2, 2, 26, 16], "segmentation": TRIANGLE}
    assert with_eval_defaults(ann, (0, 0))["area"] == _polygon_area()
