"""RLEs of another size than their image (``images[].height, width``): both libraries give such
a mask IoU 0 with every other mask, silently. A ground-truth one is named (the numbers would
be wrong), detections made at another resolution get one warning."""

from __future__ import annotations

import logging

import numpy as np
import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_checks import check_segm_ground_truth
from detseg.evaluation.coco_format import masks_to_rles


def _rle(height: int, width: int) -> dict:
    mask = np.zeros((1, height, width), dtype=np.uint8)
    mask[0, 10:30, 10:30] = 1
    return masks_to_rles(mask, 1)[0]


def _gt(segmentation: dict) -> dict:
    return {
        "images": [{"id": 1, "height": 40, "width": 50}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 3,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.0, 10.0, 20.0, 20.0],
                "area": 400.0,
                "iscrowd": 0,
                "segmentation": segmentation,
            }
        ],
    }


def test_ground_truth_rle_of_another_size_is_named():
    with pytest.raises(ValueError, match=r"gt\.json: annotation 3 \(image 1\) has an RLE of size"):
        check_segm_ground_truth(_gt(_rle(64, 64)), "gt.json")
    check_segm_ground_truth(_gt(_rle(40, 50)), "gt.json")


def test_detection_rle_of_another_size_is_warned_about(caplog):
    detection = {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": _rle(64, 64)}
    with caplog.at_level(logging.WARNING, logger="detseg.evaluation.coco_mask_compression"):
        result = coco_evaluate(_gt(_rle(40, 50)), [detection], "segm", "pycocotools")
    assert result["AP"] == 0.0  # pycocotools' number
    (record,) = [r for r in caplog.records if "differ in size" in r.getMessage()]
    assert "detection 0, RLE size [64, 64], image 1 is 40 x 50" in record.getMessage()
