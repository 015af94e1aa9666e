"""Mask AP of results whose ``segmentation`` is polygons or an uncompressed RLE (``counts`` a
list), which ``--iou-type segm`` accepts: both libraries read a result's area from a
compressed RLE only and fail on the other forms with a ``TypeError``. They are scored as
pycocotools scores the same masks as compressed RLEs (and as it scores the polygons of results
that have a box, the one case it reads)."""

from __future__ import annotations

import copy

import pytest
from pycocotools import mask as mask_utils
from pycocotools_reference import pycocotools_eval

from detseg.engine.validation import COCO_KEYS
from detseg.evaluation import coco_evaluate

H, W = 40, 50
SQUARE = [10.0, 10.0, 30.0, 10.0, 30.0, 30.0, 10.0, 30.0]
TALL = [[10.0, 10.0, 30.0, 10.0, 30.0, 28.0, 10.0, 28.0], [40.0, 2.0, 45.0, 2.0, 45.0, 8.0]]
WIDE = [[12.0, 10.0, 30.0, 10.0, 30.0, 30.0, 12.0, 30.0]]


def _gt() -> dict:
    return {
        "images": [{"id": 1, "height": H, "width": W}],
        "categories": [{"id": 1, "name": "a"}],
        "annotations": [
            {
                "id": 1,
                "image_id": 1,
                "category_id": 1,
                "bbox": [10.0, 10.0, 20.0, 20.0],
                "area": 400.0,
                "iscrowd": 0,
                "segmentation": [SQUARE],
            }
        ],
    }


def _compressed(polygons: list) -> dict:
    rle = mask_utils.merge(mask_utils.frPyObjects(polygons, H, W))
    return {**rle, "counts": rle["counts"].decode("ascii")}


def _uncompressed(polygons: list) -> dict:
    mask = mask_utils.decode(_compressed(polygons))
    column_major = mask.flatten(order="F").tolist()
    counts, value, run = [], 0, 0
    for pixel in column_major:
        if pixel != value:
            counts.append(run)
            value, run = pixel, 0
        run += 1
    return {"size": [H, W], "counts": [*counts, run]}


def _results(form) -> list[dict]:
    return [
        {"image_id": 1, "category_id": 1, "score": 0.9, "segmentation": form(TALL)},
        {"image_id": 1, "category_id": 1, "score": 0.6, "segmentation": form(WIDE)},
    ]


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
@pytest.mark.parametrize("form", [lambda p: p, _uncompressed], ids=["polygons", "uncompressed"])
def test_results_without_box_score_as_their_compressed_rles(backend, form):
    expected = pycocotools_eval(_gt(), _results(_compressed), "segm").stats
    got = coco_evaluate(_gt(), _results(form), iou_type="segm", backend=backend)
    assert [got[key] for key in COCO_KEYS] == pytest.approx(list(expected), abs=1e-15)
    assert 0 < got["AP"] < 1


@pytest.mark.parametrize("backend", ["faster", "pycocotools"])
def test_polygon_results_with_a_box_give_pycocotools_numbers(backend):
    results = _results(lambda p: p)
    boxes = ([10.0, 2.0, 35.0, 28.0], [12.0, 10.0, 18.0, 20.0])
    for result, box in zip(results, boxes, strict=True):
        result["bbox"] = box
    expected = pycocotools_eval(_gt(), results, "segm").stats  # it reads polygons with boxes
    got = coco_evaluate(_gt(), copy.deepcopy(results), iou_type="segm", backend=backend)
    assert [got[key] for key in COCO_KEYS] == pytest.approx(list(expected), abs=1e-15)
