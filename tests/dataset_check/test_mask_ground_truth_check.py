"""The data of a mask model (``load_masks``) whose val annotations mask AP cannot score (one
without a ``segmentation`` among others with one) is an error of the dataset check: training
refuses that val split before its first step, so the check must not call the dataset ready for
training."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from detseg.dataset_check import check_dataset

W, H = 64, 48
SQUARE = [[4, 4, 20, 4, 20, 20, 4, 20]]


def _coco(root: Path, val_segmentation: list | None, load_masks: bool = True) -> dict:
    """Train and val of one image and one square object; the val split has a second object
    (with a ``segmentation``), and its first object's ``segmentation`` is ``val_segmentation``
    (left out when ``None``)."""
    (root / "annotations").mkdir(parents=True)
    for split in ("train", "val"):
        (root / split / "images").mkdir(parents=True)
        Image.new("RGB", (W, H)).save(root / split / "images" / "1.png")
        ann = {"id": 7, "image_id": 1, "category_id": 1, "iscrowd": 0, "area": 256.0}
        ann["bbox"] = [4, 4, 16, 16]
        segmentation = SQUARE if split == "train" else val_segmentation
        if segmentation is not None:
            ann["segmentation"] = segmentation
        anns = [ann]
        if split == "val":
            other = [[30, 4, 46, 4, 46, 20, 30, 20]]
            anns.append({**ann, "id": 8, "bbox": [30, 4, 16, 16], "segmentation": other})
        coco = {
            "images": [{"id": 1, "file_name": "1.png", "width": W, "height": H}],
            "annotations": anns,
            "categories": [{"id": 1, "name": "a"}],
        }
        (root / "annotations" / f"instances_{split}.json").write_text(json.dumps(coco))
    return {"format": "coco", "root": str(root), "load_masks": load_masks}


def test_val_annotation_without_segmentation_is_an_error(tmp_path: Path):
    check = check_dataset(_coco(tmp_path, None), ("train", "val"), decode=False)
    [finding] = [f for f in check.findings if f.code == "segm_ground_truth"]
    assert finding.severity == "error" and finding.split == "val"
    assert "instances_val.json" in finding.message and "annotation 7" in finding.message
    assert check.exit_code == 1


def test_val_with_segmentations_passes(tmp_path: Path):
    check = check_dataset(_coco(tmp_path, SQUARE), ("train", "val"), decode=False)
    assert not [f for f in check.findings if f.code == "segm_ground_truth"]
    assert check.exit_code == 0


def test_boxes_only_data_needs_no_segmentation(tmp_path: Path):
    data = _coco(tmp_path, None, load_masks=False)
    check = check_dataset(data, ("train", "val"), decode=False)
    assert not [f for f in check.findings if f.code == "segm_ground_truth"]
