"""CocoDetection and a bbox that is not [x, y, w, h] as four numbers: skipped at load time,
reported once by annotation id, counted in dropped_boxes, and left out of the ground truth."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np

from detseg.data import CocoDetection


def _dataset(tmp_path, bboxes):
    """One 24x32 image (id 1) with one category-1 annotation per bbox (ids 1, 2, ...)."""
    (tmp_path / "images").mkdir()
    cv2.imwrite(str(tmp_path / "images" / "a.png"), np.zeros((24, 32, 3), np.uint8))
    anns = [
        {"id": i, "image_id": 1, "category_id": 1, "bbox": bbox} for i, bbox in enumerate(bboxes, 1)
    ]
    data = {
        "images": [{"id": 1, "file_name": "a.png", "height": 24, "width": 32}],
        "annotations": anns,
        "categories": [{"id": 1, "name": "a"}],
    }
    (tmp_path / "ann.json").write_text(json.dumps(data))
    return CocoDetection(tmp_path / "images", tmp_path / "ann.json")


def test_malformed_bboxes_are_reported_once_by_id(tmp_path, caplog):
    bboxes = [[2, 2, 10, 8], [5, 5, 3], ["1", "2", "3", "4"], None, [1, 1, True, 4]]
    with caplog.at_level(logging.WARNING):
        dataset = _dataset(tmp_path, bboxes)
        _, target = dataset[0]
    assert dataset.malformed_box_annotations == 4
    assert target["boxes"].tolist() == [[2.0, 2.0, 12.0, 10.0]]
    assert int(target["dropped_boxes"]) == 4
    message = (
        "skipping 4 annotation(s) whose bbox is not [x, y, w, h] as 4 finite numbers "
        '(id 2: [5, 5, 3]; id 3: ["1", "2", "3", "4"]; id 4: null; ...)'
    )
    assert message in caplog.text
    assert "non-finite coordinate" not in caplog.text  # not misreported as a NaN box
    assert [a["id"] for a in dataset.coco_gt()["annotations"]] == [1]


def test_well_formed_bboxes_give_no_warning(tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        dataset = _dataset(tmp_path, [[2, 2, 10, 8], [0.5, 1.5, 3.25, 4]])
    assert dataset.malformed_box_annotations == 0
    assert "bbox" not in caplog.text
