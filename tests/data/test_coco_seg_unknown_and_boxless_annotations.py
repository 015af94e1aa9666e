"""``format: coco_seg`` judges annotations of unknown categories as ``format: coco`` does: a
json whose category ids are mostly not among its categories is refused with the same line
(not read as images of background alone), a few are skipped and counted in
``unknown_category_annotations``. An instance with neither a ``segmentation`` nor a usable
``bbox`` paints nothing: it is skipped, counted and named, not called a filled box."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

from detseg.data.coco import CocoDetection
from detseg.data.coco_seg import CocoSegmentation

SQUARE = [[2.0, 2.0, 8.0, 2.0, 8.0, 8.0, 2.0, 8.0]]


def _ann(ann_id: int, category_id: int = 1, **fields) -> dict:
    ann = {"id": ann_id, "image_id": 1, "category_id": category_id, "iscrowd": 0}
    ann.update({"bbox": [2.0, 2.0, 6.0, 6.0], "segmentation": SQUARE, "area": 36.0})
    ann.update(fields)
    return {key: value for key, value in ann.items() if value is not None}


def _write(root, annotations: list[dict]) -> None:
    (root / "images").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "1.png"), np.zeros((20, 30, 3)))
    data = {
        "images": [{"id": 1, "file_name": "1.png", "height": 20, "width": 30}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))


def test_mostly_unknown_categories_are_refused_as_coco_refuses_them(tmp_path):
    _write(tmp_path, [_ann(1, category_id=7), _ann(2, category_id=8)])
    with pytest.raises(ValueError) as seg:
        CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    with pytest.raises(ValueError) as det:
        CocoDetection(tmp_path / "images", tmp_path / "ann.json")
    assert str(seg.value) == str(det.value)
    assert str(seg.value).startswith(
        f"{tmp_path / 'ann.json'}: 2 of 2 objects (100%) have a category_id not among its "
        "categories (1 a): category_id 7 (1), category_id 8 (1) (at annotation id 1, "
        "annotation id 2)."
    )


def test_a_few_unknown_categories_are_counted(tmp_path, caplog):
    _write(tmp_path, [_ann(1), _ann(2), _ann(3, category_id=9)])
    with caplog.at_level(logging.WARNING):
        dataset = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    assert dataset.unknown_category_annotations == 1
    assert any("skipping 1 of 3 objects" in r.getMessage() for r in caplog.records)


def test_an_instance_without_segmentation_or_usable_bbox_is_skipped(tmp_path, caplog):
    anns = [
        _ann(1),
        _ann(2, segmentation=None, bbox=None),
        _ann(3, segmentation=[], bbox=[1, 2, "x", 4]),
        _ann(4, segmentation=None),  # a usable box: painted as it
    ]
    _write(tmp_path, anns)
    with caplog.at_level(logging.WARNING):
        dataset = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    assert dataset.malformed_box_annotations == 2
    said = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        f"{tmp_path / 'ann.json'}: skipping 2 annotation(s) without a 'segmentation' whose bbox "
        'is not [x, y, w, h] as 4 finite numbers (id 2: null; id 3: [1, 2, "x", 4]): fix their '
        "bbox, or add their segmentation"
    ) in said
    # the filled-box warning names only the instance whose box is painted
    (boxes,) = [m for m in said if "filled boxes" in m]
    assert "1 of 2 instances have no 'segmentation' (annotation id 4)" in boxes
