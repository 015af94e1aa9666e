"""An uncompressed RLE (``counts`` a list, as crowd regions have it) whose runs do not cover
its ``size``: faster-coco-eval never returns on it (and pycocotools reads past the mask), so
mask AP names the annotation or detection instead."""

from __future__ import annotations

import pytest

from detseg.evaluation import coco_evaluate
from detseg.evaluation.coco_checks import check_segm_ground_truth

SIZE = [40, 50]
SHORT_COUNTS = [410, 20, 20, 20, 20, 1500]  # 1990 of 2000 pixels
FULL_COUNTS = [410, 20, 20, 20, 20, 1510]


def _gt(counts: list[int]) -> dict:
    crowd = {"size": SIZE, "counts": counts}
    return {
        "images": [{"id": 1, "height": 40, "width": 50}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 7,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.0, 10.0, 2.0, 20.0],
                "area": 40.0,
                "iscrowd": 1,
                "segmentation": crowd,
            }
        ],
    }


def _detection(counts: list[int]) -> dict:
    segmentation = {"size": SIZE, "counts": counts}
    return {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": segmentation}


def test_ground_truth_rle_of_too_few_pixels_is_named():
    with pytest.raises(ValueError, match=r"gt\.json: annotation 7 \(image 1\): the RLE counts"):
        check_segm_ground_truth(_gt(SHORT_COUNTS), "gt.json")
    check_segm_ground_truth(_gt(FULL_COUNTS), "gt.json")


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_detection_rle_of_too_few_pixels_is_named(backend):
    with pytest.raises(ValueError, match=r"detection 0 \(image 1\): the RLE counts add up to 1990"):
        coco_evaluate(_gt(FULL_COUNTS), [_detection(SHORT_COUNTS)], "segm", backend)
    # the same runs, complete: a detection on the crowd region only, ignored
    assert coco_evaluate(_gt(FULL_COUNTS), [_detection(FULL_COUNTS)], "segm", backend)["AP"] == -1
