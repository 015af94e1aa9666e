"""The data of a mask model (``load_masks``) whose train instances have no ``segmentation`` is
a warning of the dataset check naming the annotation file and the count (their masks are their
filled boxes); a val split without any ``segmentation`` is a warning that says training and
``tools/eval.py`` score its boxes alone."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from detseg.dataset_check import check_dataset

W, H = 64, 48
SQUARE = [[4, 4, 20, 4, 20, 20, 4, 20]]


def _coco(root: Path, train_masks: bool, val_masks: bool, load_masks: bool = True) -> dict:
    """Train and val of one image with two square objects, with or without ``segmentation``."""
    (root / "annotations").mkdir(parents=True)
    for split, masks in (("train", train_masks), ("val", val_masks)):
        (root / split / "images").mkdir(parents=True)
        Image.new("RGB", (W, H)).save(root / split / "images" / "1.png")
        anns = []
        for i, x in enumerate((4, 30)):
            ann = {"id": 7 + i, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 256.0}
            ann["bbox"] = [x, 4, 16, 16]
            if masks:
                ann["segmentation"] = [[x, 4, x + 16, 4, x + 16, 20, x, 20]]
            anns.append(ann)
        coco = {
            "images": [{"id": 1, "file_name": "1.png", "width": W, "height": H}],
            "annotations": anns,
            "categories": [{"id": 1, "name": "a"}],
        }
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    return {"format": "coco", "root": str(root), "load_masks": load_masks}


def _found(data: dict, code: str) -> list:
    check = check_dataset(data, ("train", "val"), decode=False)
    return [f for f in check.findings if f.code == code]


def test_train_instances_without_masks_are_a_warning(tmp_path: Path):
    [finding] = _found(_coco(tmp_path, train_masks=False, val_masks=True), "box_masks")
    assert finding.severity == "warning" and finding.split == "train" and finding.count == 2
    ann_file = tmp_path / "annotations/instances_train.json"
    assert finding.message.startswith(f"{ann_file}: 2 of 2 instances have no 'segmentation'")
    assert "filled boxes" in finding.message and "faster_rcnn" in finding.message


def test_masks_or_boxes_only_data_have_no_such_finding(tmp_path: Path):
    assert not _found(_coco(tmp_path / "a", train_masks=True, val_masks=True), "box_masks")
    boxes_only = _coco(tmp_path / "b", train_masks=False, val_masks=False, load_masks=False)
    assert not _found(boxes_only, "box_masks")


def test_a_val_split_without_masks_says_its_boxes_are_scored(tmp_path: Path):
    [finding] = _found(_coco(tmp_path, train_masks=True, val_masks=False), "segm_ground_truth")
    assert finding.severity == "warning" and finding.split == "val"
    ann_file = tmp_path / "annotations/instances_val.json"
    assert finding.message.startswith(f"{ann_file}: no annotation has a 'segmentation'")
    assert "training and evaluation score its boxes alone" in finding.message
