"""CocoDetection and image ids: duplicate ids are refused, annotations of absent images skipped."""

from __future__ import annotations

import json
import logging

import cv2
import numpy as np
import pytest

from detseg.data import CocoDetection

W, H = 32, 24


def _write(root, images, annotations):
    (root / "images").mkdir(parents=True)
    for image in images:
        canvas = np.zeros((H, W, 3), dtype=np.uint8)
        assert cv2.imwrite(str(root / "images" / image["file_name"]), canvas)
    data = {"images": images, "annotations": annotations, "categories": [{"id": 1, "name": "a"}]}
    (root / "ann.json").write_text(json.dumps(data))
    return root / "images", root / "ann.json"


def _image(image_id, name):
    return {"id": image_id, "file_name": name, "width": W, "height": H}


def _ann(ann_id, image_id, bbox=(2, 2, 10, 8)):
    return {"id": ann_id, "image_id": image_id, "category_id": 1, "bbox": list(bbox)}


def test_duplicate_image_id_is_refused(tmp_path):
    images_dir, ann_file = _write(tmp_path, [_image(5, "a.png"), _image(5, "b.png")], [])
    with pytest.raises(ValueError) as info:
        CocoDetection(images_dir, ann_file)
    message = str(info.value)
    assert str(ann_file) in message
    assert "images[1] has id 5, the id of images[0] ('a.png')" in message
    assert "unique id" in message


def test_annotation_of_an_absent_image_is_skipped_and_reported(tmp_path, caplog):
    anns = [_ann(1, 1), _ann(2, 12345), _ann(3, 12345)]
    images_dir, ann_file = _write(tmp_path, [_image(1, "a.png")], anns)
    with caplog.at_level(logging.WARNING, logger="detseg.data.coco"):
        dataset = CocoDetection(images_dir, ann_file)
    assert dataset.missing_image_annotations == 2
    assert dataset.missing_image_ids == [12345]
    assert "skipping 2 annotation(s) whose image_id is not among its images" in caplog.text
    assert "12345" in caplog.text
    _, target = dataset[0]
    assert len(target["boxes"]) == 1
    assert [a["id"] for a in dataset.coco_gt()["annotations"]] == [1]


def test_coco_gt_leaves_out_malformed_boxes(tmp_path):
    anns = [_ann(1, 1), {**_ann(2, 1), "bbox": [1, 2, 3]}, {**_ann(3, 1), "bbox": "1 2 3 4"}]
    images_dir, ann_file = _write(tmp_path, [_image(1, "a.png")], anns)
    dataset = CocoDetection(images_dir, ann_file)
    assert [a["id"] for a in dataset.coco_gt()["annotations"]] == [1]
    _, target = dataset[0]
    assert len(target["boxes"]) == 1  # the malformed ones are dropped and counted
    assert int(target["dropped_boxes"]) == 2


def test_clean_file_keeps_its_gt_dict(tmp_path):
    images_dir, ann_file = _write(tmp_path, [_image(1, "a.png")], [_ann(1, 1)])
    dataset = CocoDetection(images_dir, ann_file)
    assert dataset.missing_image_annotations == 0
    assert dataset.coco_gt() is dataset.coco_gt()
