"""``max_dets`` takes integers only: a fraction such as ``1.9`` was truncated to 1 and a bool
read as 1; both are refused now with the usual message. A whole float (``10.0``) and numpy
integers count as the integers they hold."""

from __future__ import annotations

import numpy as np
import pytest

from detseg.evaluation import coco_evaluate

GT = {
    "images": [{"id": 1, "width": 64, "height": 48}],
    "annotations": [
        {
            "id": 1,
            "image_id": 1,
            "category_id": 1,
            "bbox": [4, 4, 20, 10],
            "area": 200,
            "iscrowd": 0,
        }
    ],
    "categories": [{"id": 1, "name": "a"}],
}
DETECTIONS = [{"image_id": 1, "category_id": 1, "bbox": [4, 4, 20, 10], "score": 0.9}]


@pytest.mark.parametrize(
    "max_dets",
    [(1.9, 10.5, 100.7), (True, 10, 100), (1, 10, 100.5), (1, "10", 100), (1, 10, float("nan"))],
)
def test_non_integer_max_dets_are_refused(max_dets):
    with pytest.raises(ValueError, match=r"max_dets must be three strictly increasing positive"):
        coco_evaluate(GT, DETECTIONS, max_dets=max_dets)


@pytest.mark.parametrize("max_dets", [(1.0, 10.0, 100.0), (np.int64(1), np.int32(10), 100)])
def test_whole_floats_and_numpy_integers_are_counts(max_dets):
    result = coco_evaluate(GT, DETECTIONS, max_dets=max_dets)
    assert result == coco_evaluate(GT, DETECTIONS)
    assert "AR100" in result and "AR100.0" not in result
