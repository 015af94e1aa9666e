"""Mask AP of a ground truth whose polygons have parts of 2 points (4 numbers), as some COCO
annotations do: pycocotools reads a list whose first part has 4 numbers as ``[x, y, w, h]``
boxes and fails on it (``frPyObjects``), and draws a later 2-point part as no pixel. Both
backends give pycocotools' numbers of the same ground truth without the short parts."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from pycocotools_reference import pycocotools_eval

from detseg.engine.validation import COCO_KEYS
from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_format import masks_to_rles

H, W = 40, 50
SQUARE = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]  # rows and columns 10..29
TRIANGLE = [32.0, 2.0, 48.0, 2.0, 32.0, 20.0]
SHORT = [1.0, 1.0, 9.0, 9.0]


def _gt(segmentations: list) -> dict:
    return {
        "images": [{"id": 1, "height": H, "width": W}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": i + 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.0, 10.0, 20.0, 20.0],
                "area": 400.0,
                "iscrowd": 0,
                "segmentation": segmentation,
            }
            for i, segmentation in enumerate(segmentations)
        ],
    }


def _detections() -> list[dict]:
    masks = np.zeros((3, H, W), dtype=np.uint8)
    masks[0, 10:30, 10:30] = 1  # the square
    masks[1, 2:20, 32:48] = 1  # about the triangle's box: IoU near 0.5
    masks[2, 0:9, 0:9] = 1  # where the short part would be, drawn as a box
    return [
        {"image_id": 1, "category_id": 1, "score": score, "segmentation": rle}
        for score, rle in zip((0.9, 0.8, 0.7), masks_to_rles(masks, 3), strict=True)
    ]


def _numbers(evaluator) -> list[float]:
    return [float(v) for v in evaluator.stats]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_first_part_of_four_numbers_scores_as_without_it(backend):
    gt = _gt([[SHORT, SQUARE], [TRIANGLE, SHORT]])
    expected = _numbers(pycocotools_eval(_gt([[SQUARE], [TRIANGLE]]), _detections(), "segm"))
    got = coco_evaluate(copy.deepcopy(gt), _detections(), iou_type="segm", backend=backend)
    assert [got[key] for key in COCO_KEYS] == pytest.approx(expected, abs=1e-15)
    assert 0 < got["AP"] < 1


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_later_part_of_four_numbers_gives_pycocotools_numbers(backend):
    gt = _gt([[SQUARE, SHORT], [TRIANGLE, SHORT, SHORT]])
    expected = _numbers(pycocotools_eval(gt, _detections(), "segm"))  # it reads these
    got = coco_evaluate(gt, _detections(), iou_type="segm", backend=backend)
    assert [got[key] for key in COCO_KEYS] == pytest.approx(expected, abs=1e-15)


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_only_short_parts_is_an_empty_mask(backend):
    (empty,) = masks_to_rles(np.zeros((1, H, W), dtype=np.uint8), 1)
    expected = _numbers(pycocotools_eval(_gt([[SQUARE], empty]), _detections(), "segm"))
    got = coco_evaluate(_gt([[SQUARE], [SHORT]]), _detections(), iou_type="segm", backend=backend)
    assert [got[key] for key in COCO_KEYS] == pytest.approx(expected, abs=1e-15)
