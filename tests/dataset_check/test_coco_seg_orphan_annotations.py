"""check_data on ``format: coco_seg``: annotations of an image absent from ``images`` are a
warning, as for ``format: coco`` (the label maps leave them out)."""

from __future__ import annotations

import json

import cv2
import numpy as np

from detseg.dataset_check import check_dataset, format_text_report

SQUARE = [[2.0, 2.0, 8.0, 2.0, 8.0, 8.0, 2.0, 8.0]]


def _write(root, image_ids_of_annotations: list[int]) -> dict:
    """One 20 x 30 image (id 1) and one square annotation per listed image id; the data
    section of the folder."""
    (root / "images").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "1.png"), np.zeros((20, 30, 3)))
    annotations = [
        {"id": k, "image_id": i, "category_id": 1, "segmentation": SQUARE, "iscrowd": 0}
        for k, i in enumerate(image_ids_of_annotations, start=1)
    ]
    data = {
        "images": [{"id": 1, "file_name": "1.png", "height": 20, "width": 30}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return {"format": "coco_seg", "root": str(root), "train_images": "images",
            "train_ann": "ann.json"}  # fmt: skip


def test_annotation_of_an_absent_image_is_a_warning(tmp_path):
    check = check_dataset(_write(tmp_path, [1, 12345]), splits=("train",), decode=False)
    orphans = [f for f in check.findings if f.code == "orphan_annotations"]
    assert [(f.severity, f.split, f.count) for f in orphans] == [("warning", "train", 1)]
    assert "image_id 12345" in orphans[0].message
    assert check.splits["train"]["orphan_annotations"] == 1
    assert "orphan_annotations" in format_text_report(check)


def test_clean_file_has_no_orphans(tmp_path):
    check = check_dataset(_write(tmp_path, [1]), splits=("train",), decode=False)
    assert not [f for f in check.findings if f.code == "orphan_annotations"]
    assert check.splits["train"]["orphan_annotations"] == 0
