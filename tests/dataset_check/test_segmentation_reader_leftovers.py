"""check_data on segmentation splits reports what the reader leaves out without an error:
``coco_seg`` annotations of an unknown category or with neither a segmentation nor a usable
bbox (``rejected_annotations``, as for ``coco``), and of ``folder_seg`` the label maps without
an image (``unmatched_label_maps``) and the images in folders inside the images folder
(``nested_images``)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detseg.dataset_check import check_dataset, format_text_report
from detseg.dataset_check.report_html import _counts_table

SQUARE = [[2.0, 2.0, 8.0, 2.0, 8.0, 8.0, 2.0, 8.0]]


def _coco_seg(root, annotations: list[dict]) -> dict:
    (root / "images").mkdir(parents=True)
    assert cv2.imwrite(str(root / "images" / "1.png"), np.zeros((20, 30, 3)))
    data = {
        "images": [{"id": 1, "file_name": "1.png", "height": 20, "width": 30}],
        "annotations": annotations,
        "categories": [{"id": 1, "name": "a"}],
    }
    (root / "ann.json").write_text(json.dumps(data))
    return {"format": "coco_seg", "root": str(root), "train_images": "images",
            "train_ann": "ann.json"}  # fmt: skip


def _ann(ann_id: int, category_id: int = 1, **fields) -> dict:
    ann = {"id": ann_id, "image_id": 1, "category_id": category_id, "iscrowd": 0}
    ann.update({"segmentation": SQUARE, "bbox": [2.0, 2.0, 6.0, 6.0]}, **fields)
    return ann


def test_coco_seg_rejected_annotations_are_a_warning(tmp_path):
    anns = [_ann(1), _ann(2), _ann(3), _ann(4, category_id=9)]
    anns.append(_ann(5, segmentation=None, bbox=None))
    check = check_dataset(_coco_seg(tmp_path, anns), splits=("train",), decode=False)
    found = [f for f in check.findings if f.code == "rejected_annotations"]
    assert [(f.severity, f.split, f.count) for f in found] == [("warning", "train", 2)]
    assert "an unknown category_id" in found[0].message
    assert check.splits["train"]["rejected_annotations"] == 2
    assert "rejected_annotations" in format_text_report(check)


def test_coco_seg_of_unknown_categories_only_is_refused(tmp_path):
    data = _coco_seg(tmp_path, [_ann(1, category_id=7), _ann(2, category_id=7)])
    with pytest.raises(ValueError, match="2 of 2 objects .* category_id not among its categories"):
        check_dataset(data, splits=("train",), decode=False)


def test_clean_coco_seg_has_no_rejected_annotations(tmp_path):
    check = check_dataset(_coco_seg(tmp_path, [_ann(1)]), splits=("train",), decode=False)
    assert not [f for f in check.findings if f.code == "rejected_annotations"]
    assert check.splits["train"]["rejected_annotations"] == 0


def _folder_seg(root) -> dict:
    """``a.png`` with its label map, ``sub/b.png`` (not read), the label map ``c.png`` alone."""
    images, masks = root / "images", root / "masks"
    (images / "sub").mkdir(parents=True)
    masks.mkdir()
    for name in ("a.png", "sub/b.png"):
        cv2.imwrite(str(images / name), np.zeros((24, 32, 3), np.uint8))
    mask = np.zeros((24, 32), np.uint8)
    mask[4:12, 4:12] = 1
    for name in ("a.png", "c.png"):
        cv2.imwrite(str(masks / name), mask)
    (root / "classes.txt").write_text("cat\n")
    return {"format": "folder_seg", "root": str(root), "train_images": "images",
            "train_masks": "masks", "classes": "classes.txt"}  # fmt: skip


def test_folder_seg_label_maps_without_image_are_a_warning(tmp_path):
    check = check_dataset(_folder_seg(tmp_path), splits=("train",), decode=False)
    found = [f for f in check.findings if f.code == "unmatched_label_maps"]
    assert [(f.severity, f.count, f.files) for f in found] == [("warning", 1, ["masks/c.png"])]
    assert "without an image of the same stem" in found[0].message
    assert check.splits["train"]["unmatched_label_maps"] == 1


def test_folder_seg_images_in_subfolders_are_a_warning(tmp_path):
    check = check_dataset(_folder_seg(tmp_path), splits=("train",), decode=False)
    found = [f for f in check.findings if f.code == "nested_images"]
    assert [(f.severity, f.count, f.files) for f in found] == [("warning", 1, ["images/sub/b.png"])]
    assert "point data.train_images / data.val_images at the subfolder" in found[0].message
    assert check.splits["train"]["images"] == 1
    assert check.splits["train"]["nested_images"] == 1


def test_the_html_report_counts_them(tmp_path):
    check = check_dataset(_folder_seg(tmp_path), splits=("train",), decode=False)
    html = _counts_table("train", check.splits["train"])
    assert "<td>unmatched label maps</td><td>1</td>" in html
    assert "<td>nested images</td><td>1</td>" in html
