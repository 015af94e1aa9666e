"""write_detection_report on ground-truth and detection files that are unusable: one
``ValueError`` naming the file (and where the JSON breaks), not a bare parser traceback."""

from __future__ import annotations

import json

import pytest

from detseg.evaluation.report import write_detection_report

GT = {
    "images": [{"id": 1, "file_name": "a.png", "width": 50, "height": 40}],
    "annotations": [
        {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 1, 9, 9], "area": 81, "iscrowd": 0}
    ],
    "categories": [{"id": 1, "name": "a"}],
}


def test_truncated_detections_file_is_named(tmp_path):
    detections = tmp_path / "dets.json"
    detections.write_text('[{"image_id": 1, "category_id": 1, ')

    with pytest.raises(ValueError, match=r"detections .*dets\.json is not valid JSON.*truncated"):
        write_detection_report(tmp_path / "out", GT, detections)


def test_image_given_as_ground_truth_is_named(tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe")

    with pytest.raises(ValueError, match=r"gt .*gt\.json is not a JSON text file.*PNG image"):
        write_detection_report(tmp_path / "out", gt, [])


def test_gt_file_of_the_wrong_json_type_is_named(tmp_path):
    gt = tmp_path / "gt.json"
    gt.write_text(json.dumps([GT]))

    with pytest.raises(ValueError, match=r"gt .*gt\.json must be a dict"):
        write_detection_report(tmp_path / "out", gt, [])
