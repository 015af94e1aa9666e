"""``format: coco_seg``: annotations no label map paints as written are named, as the
detection reader names them: those of an image absent from ``images``, those of an unknown
category (with their ids), and instances without a ``segmentation`` (painted as their filled
boxes, which training learns and mIoU scores). The ``tools/check_data.py`` finding:
tests/dataset_check/test_coco_seg_orphan_annotations.py."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np

from detseg.data.coco_seg import CocoSegmentation

SQUARE = [[2.0, 2.0, 8.0, 2.0, 8.0, 8.0, 2.0, 8.0]]  # a polygon inside a 20 x 30 image


def _ann(ann_id: int, image_id: int, category_id: int = 1, segmentation=SQUARE) -> dict:
    ann = {"id": ann_id, "image_id": image_id, "category_id": category_id, "iscrowd": 0}
    ann["bbox"] = [2.0, 2.0, 6.0, 6.0]
    if segmentation is not None:
        ann["segmentation"] = segmentation
    return ann


def _write(root, annotations: list[dict]) -> None:
    """Two 20 x 30 images (ids 1, 2) in ``images/`` and ``ann.json`` with ``annotations``."""
    (root / "images").mkdir(parents=True)
    images = []
    for image_id in (1, 2):
        name = f"{image_id}.png"
        assert cv2.imwrite(str(root / "images" / name), np.zeros((20, 30, 3)))
        images.append({"id": image_id, "file_name": name, "height": 20, "width": 30})
    data = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))


def _warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


def test_annotations_of_an_absent_image_are_named(tmp_path, caplog):
    _write(tmp_path, [_ann(1, 1), _ann(2, 7), _ann(3, 7)])
    with caplog.at_level(logging.WARNING):
        dataset = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    (message,) = _warnings(caplog)
    assert message.startswith(
        f"{tmp_path / 'ann.json'}: 2 annotation(s) have an image_id that is not among its "
        "images (image_id 7): they are left out of the label maps"
    )
    assert (dataset.missing_image_annotations, dataset.missing_image_ids) == (2, [7])


def test_unknown_categories_name_their_ids(tmp_path, caplog):
    _write(tmp_path, [_ann(1, 1), _ann(5, 2, category_id=9)])
    with caplog.at_level(logging.WARNING):
        CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    (message,) = _warnings(caplog)
    assert message == (
        f"{tmp_path / 'ann.json'}: skipping 1 of 2 objects (50%) with a category_id not among "
        "its categories (1 a): category_id 9 (1) (at annotation id 5)"
    )


def test_instances_without_segmentation_are_named(tmp_path, caplog):
    _write(tmp_path, [_ann(1, 1), _ann(2, 2, segmentation=None), _ann(3, 2, segmentation=[])])
    with caplog.at_level(logging.WARNING):
        dataset = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    (message,) = _warnings(caplog)
    assert message.startswith(
        f"{tmp_path / 'ann.json'}: 2 of 3 instances have no 'segmentation' (annotation id 2, "
        "3): the label maps paint their filled boxes"
    )
    _, label_map = dataset[1]
    assert int((label_map == 1).sum()) == 6 * 6  # the box, as the warning says


def test_clean_file_says_nothing(tmp_path, caplog):
    _write(tmp_path, [_ann(1, 1), _ann(2, 2)])
    with caplog.at_level(logging.WARNING):
        dataset = CocoSegmentation(tmp_path / "images", tmp_path / "ann.json")
    assert _warnings(caplog) == [] and dataset.missing_image_annotations == 0
